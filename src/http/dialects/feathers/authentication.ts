import type { Static } from '@sinclair/typebox';
import type { FeathersSettings } from '../../../config/feathers.js';
import type { Services } from '../../../services.js';
import type { ClientInfo } from '../../../session/types.js';
import type { RequestContext } from '../../../shared/request-context.js';
import { FeathersHttpError } from './errors.js';
import { presentPayload, presentUser } from './presenters.js';
import type { AuthenticationBody, AuthenticationResult } from './schemas.js';
import { authenticateToken, claimsOf, signInWithPassword, signOut } from './session.js';

/** Who calls, whatever the transport: REST request or socket.io connection. */
export interface Caller {
  client: ClientInfo;
  context: RequestContext;
  /**
   * Hands the client a device token after a completed sign-in (docs/deploy.md, "Sign-in
   * throttling"); REST sends it as the `Latchkey-Device` header. A socket has no header to
   * send it in, so its sign-ins draw on the address's allowance.
   */
  onDevice?: (deviceToken: string) => void;
}

export type AuthenticationAnswer = Static<typeof AuthenticationResult>;

/**
 * The `authentication` service's `create`, as Feathers v4/v5 defines it: `local` signs in
 * and answers a new token; `jwt` checks `accessToken` and answers it unchanged with the
 * current user. One function for `POST /authentication` and the socket's `create`.
 */
export async function createAuthentication(
  services: Services,
  settings: FeathersSettings,
  caller: Caller,
  body: Static<typeof AuthenticationBody>,
): Promise<AuthenticationAnswer> {
  if (body.strategy === undefined || body.strategy === '') {
    throw new FeathersHttpError(401, 'Invalid authentication information (no `strategy` set)');
  }
  if (body.strategy === 'local') {
    const missing: Record<string, string> = {};
    if (body.email === undefined) missing['email'] = "must have required property 'email'";
    if (body.password === undefined) missing['password'] = "must have required property 'password'";
    if (body.email === undefined || body.password === undefined) {
      throw new FeathersHttpError(400, 'The local strategy needs email and password', { errors: missing });
    }
    const { user, token } = await signInWithPassword(services, settings, caller, {
      email: body.email,
      password: body.password,
      secondFactor: body.secondaryAuthFactor,
    });
    return {
      accessToken: token,
      authentication: { strategy: 'local', payload: presentPayload(await claimsOf(services, token)) },
      user: await presentUser(services, user),
    };
  }
  if (body.strategy === 'jwt') {
    if (!body.accessToken) throw new FeathersHttpError(401, 'No access token');
    const principal = await authenticateToken(services, body.accessToken);
    return {
      accessToken: body.accessToken,
      authentication: {
        strategy: 'jwt',
        accessToken: body.accessToken,
        payload: presentPayload(principal.claims),
      },
      user: await presentUser(services, principal.user),
    };
  }
  throw new FeathersHttpError(
    401,
    'Invalid authentication information (strategy not allowed in authStrategies)',
  );
}

/**
 * The `authentication` service's `remove`: signs out the session behind `token`. As in
 * Feathers, an id, when given, must be the very token being signed out.
 */
export async function removeAuthentication(
  services: Services,
  caller: Caller,
  token: string | null,
  id: string | null | undefined,
): Promise<AuthenticationAnswer> {
  if (!token) throw new FeathersHttpError(401, 'Not authenticated');
  if (id !== undefined && id !== null && id !== token)
    throw new FeathersHttpError(401, 'Invalid access token');
  const principal = await signOut(services, token, caller.context);
  return {
    accessToken: token,
    authentication: { strategy: 'jwt', accessToken: token, payload: presentPayload(principal.claims) },
    user: await presentUser(services, principal.user),
  };
}
