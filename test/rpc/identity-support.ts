import assert from 'node:assert/strict';
import type { Backend } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { assertOk, fromManyClients } from './support.js';

/** Shared pieces of the identity-management suites (orgs, permissions, roles, invitations, account). */

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The link in the message, and its one-time token. */
  link: string | null;
  token: string | null;
}

/** The mail the server sent, read from the test server's in-memory transport. */
export class Mailbox {
  constructor(private readonly server: TestServer) {}

  /** Sends what the outbox holds now (twice: a pass already running may have started before the last enqueue). */
  async deliver(): Promise<void> {
    // Reset mail is queued after the answer (so its timing tells nothing): wait for that first.
    await this.server.services.identity.account.settled();
    await this.server.services.mail.flush();
    await this.server.services.mail.flush();
  }

  /** The messages to one address, after delivering what is due. */
  async to(address: string): Promise<Mail[]> {
    await this.deliver();
    return this.server.mailbox
      .filter((m) => m.to.toLowerCase() === address.toLowerCase())
      .map((m) => {
        const link = /(https?:\/\/\S+)/.exec(m.text)?.[1] ?? null;
        return {
          to: m.to,
          subject: m.subject,
          text: m.text,
          html: m.html,
          link,
          token: link ? new URL(link).searchParams.get('token') : null,
        };
      });
  }

  /** The newest message to an address; fails when there is none. */
  async last(address: string): Promise<Mail> {
    const all = await this.to(address);
    assert.ok(all.length > 0, `no mail to ${address}`);
    return all.at(-1)!;
  }
}

export interface IdentityServer {
  server: TestServer;
  mail: Mailbox;
}

export async function startIdentityServer(
  backend: Backend,
  overrides: Record<string, unknown> = {},
): Promise<IdentityServer> {
  const server = fromManyClients(
    await startTestServer(backend, {
      // The rpc dialect alone: the feathers dialect would also put every user in their email domain's org.
      overrides: { dialects: ['rpc'], publicUrl: 'https://id.example.com/auth', ...overrides },
    }),
  );
  return { server, mail: new Mailbox(server) };
}

export interface Actor {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
  auth: Record<string, string>;
}

let counter = 0;

/** A user (created through the core) and a session token for them. */
export async function actor(server: TestServer, options: { superuser?: boolean } = {}): Promise<Actor> {
  counter++;
  const tag = `${Math.random().toString(36).slice(2, 8)}${counter}`;
  const user = await seedUser(server, {
    username: `id_${tag}`,
    // A domain of its own, so the feathers dialect's domain orgs never group these users.
    email: `id.${tag}@${tag}.test`,
    ...(options.superuser ? { superuser: true } : {}),
  });
  const token = await signIn(server, user.username!, user.password);
  return {
    id: user.id,
    username: user.username!,
    email: user.emails[0]!.address,
    password: user.password,
    token,
    auth: bearer(token),
  };
}

/** The id of a permission by name (system ones included). */
export async function permissionId(server: TestServer, name: string): Promise<string> {
  const row = await server.services.store.db
    .selectFrom('permissions')
    .select('id')
    .where('app_id', '=', server.services.defaultApp.id)
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function adminRoleId(server: TestServer): Promise<string> {
  const row = await server.services.store.db
    .selectFrom('roles')
    .select('id')
    .where('app_id', '=', server.services.defaultApp.id)
    .where('name', '=', 'admin')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Grants a system permission through the rpc dialect itself (user.assignPermission as a superuser). */
export async function grant(
  server: TestServer,
  admin: Actor,
  userId: string,
  name: string,
  orgId?: string,
): Promise<void> {
  assertOk(
    await rpc(
      server,
      'user.assignPermission',
      { userId, permissionId: await permissionId(server, name), ...(orgId ? { orgId } : {}) },
      admin.auth,
    ),
  );
}

/** An org created by `by` (who becomes its admin). */
export async function createOrg(
  server: TestServer,
  by: Actor,
  slug = `org-${Math.random().toString(36).slice(2, 10)}`,
) {
  const res = await rpc(server, 'org.create', { name: `Org ${slug}`, slug }, by.auth);
  return assertOk(res)['org'] as {
    id: string;
    name: string;
    slug: string;
    createdAt: string;
    updatedAt: string;
  };
}

/** Makes `userId` a member of `orgId` (as a superuser). */
export async function addMember(
  server: TestServer,
  admin: Actor,
  orgId: string,
  userId: string,
): Promise<void> {
  assertOk(await rpc(server, 'org.addMember', { orgId, userId }, admin.auth));
}

export const NOBODY = 'f'.repeat(24);
