import type { Static } from '@sinclair/typebox';
import { primaryEmail, type User } from '../../../identity/types.js';
import type { Services } from '../../../services.js';
import type { FeathersUser, TokenPayload } from './schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The user as Edumaps shows it: `_id`, `username` (the email, as Edumaps assigns it),
 * `email`, times, the orgs of their domains and their integrations. Nothing else: no
 * hash, no flags, no other addresses.
 */
export async function presentUser(services: Services, user: User): Promise<Static<typeof FeathersUser>> {
  const [orgs, integrations] = await Promise.all([
    services.orgs.belongsTo(user),
    services.integrations.listFor(user.appId, user.id),
  ]);
  const email = primaryEmail(user) ?? user.username ?? '';
  return {
    _id: user.id,
    username: email,
    email,
    createdAt: iso(user.createdAt),
    updatedAt: iso(user.updatedAt),
    // Orgs made by hand (no domain) are not what this dialect calls an organisation.
    belongsTo: orgs.flatMap((o) => (o.domain === null ? [] : [{ domain: o.domain, domainId: o.id }])),
    integrations: integrations.map((i) => ({ _id: i.id, name: i.name, createdAt: iso(i.createdAt) })),
  };
}

/** The token's claims as `authentication.payload`: exactly the documented ones. */
export function presentPayload(claims: Record<string, unknown>): Static<typeof TokenPayload> {
  return {
    iss: String(claims['iss']),
    aud: String(claims['aud']),
    sub: String(claims['sub']),
    _id: String(claims['_id'] ?? claims['sub']),
    jti: String(claims['jti']),
    sid: String(claims['sid']),
    iat: Number(claims['iat']),
    exp: Number(claims['exp']),
    ...(Array.isArray(claims['amr']) ? { amr: claims['amr'].map(String) } : {}),
  };
}
