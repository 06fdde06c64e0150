import type { Email, User } from '../../../identity/types.js';
import type { UserView } from '../../../identity/user-directory.js';
import { emailKey } from '../../../identity/validation.js';
import { contextOf } from '../../client.js';
import { after, next } from './cursor.js';
import { fail } from './envelope.js';
import { callerAccess, principalOf, type RpcContext, rpcMethod, SerializedAnswer } from './method.js';
import { defaultUserJson, presentUser, type UserField } from './presenters.js';
import { RESPONSES } from './responses.js';
import {
  DeactivateBody,
  IdBody,
  UserCreateBody,
  UserInfoBody,
  UserListBody,
  UserUpdateBody,
} from './schemas.js';
import { invalidBody } from './validation.js';

const WRITE = 'yeep.user.write';

function appOf(ctx: RpcContext<unknown>): string {
  return ctx.services.defaultApp.id;
}

async function isAllowed(ctx: RpcContext<unknown>, permission: string): Promise<boolean> {
  const p = principalOf(ctx);
  return ctx.services.authz.has(p.appId, p.userId, permission);
}

async function requirePermission(ctx: RpcContext<unknown>, permission: string): Promise<void> {
  const p = principalOf(ctx);
  await ctx.services.authz.require(p.appId, p.userId, permission);
}

/** Self, or the caller holds `permission` (read fresh from storage, never from the token). */
async function requireSelfOr(ctx: RpcContext<unknown>, targetId: string, permission: string): Promise<void> {
  if (principalOf(ctx).userId === targetId) return;
  await requirePermission(ctx, permission);
}

function emailsInput(emails: Array<{ address: string; isVerified?: boolean; isPrimary?: boolean }>): Email[] {
  return emails.map((e) => ({
    address: e.address,
    isVerified: e.isVerified === true,
    isPrimary: e.isPrimary === true,
  }));
}

function presentView(view: UserView, fields: Partial<Record<UserField, boolean>>): Record<string, unknown> {
  return presentUser(view.user, fields, {
    orgIds: view.orgIds,
    permissions: view.permissions,
    roles: view.roles,
  });
}

export const USER_METHODS = [
  rpcMethod({
    name: 'user.info',
    response: RESPONSES.user,
    auth: 'required',
    body: UserInfoBody,
    summary: 'A user’s profile (yourself without `id`)',
    handler: (ctx) => {
      const caller = principalOf(ctx);
      const fields = (ctx.body.projection ?? {}) as Partial<Record<UserField, boolean>>;
      const target = ctx.body.id ?? caller.userId;
      const projection = { permissions: fields.permissions === true, roles: fields.roles === true };
      const { directory } = ctx.services.identity;
      // The token check: yourself, from the caches, answered at once when they hold you.
      const cached = directory.infoCached(appOf(ctx), caller.userId, target, projection);
      if (cached && Object.keys(fields).length === 0)
        return new SerializedAnswer(`{"user":${defaultUserJson(cached.user, cached.orgIds)}}`);
      if (cached) return { user: presentView(cached, fields) };
      // Yourself; others through yeep.user.read globally or in one of their orgs (read fresh from storage).
      return directory
        .info(appOf(ctx), ctx.services.authz.callerOf(appOf(ctx), caller.userId), target, projection)
        .then((view) => ({ user: presentView(view, fields) }));
    },
  }),
  rpcMethod({
    name: 'user.create',
    response: RESPONSES.user,
    auth: 'required',
    body: UserCreateBody,
    summary: 'Create a user (needs yeep.user.write)',
    handler: async (ctx) => {
      await requirePermission(ctx, WRITE);
      const orgIds = [...new Set(ctx.body.orgs ?? [])];
      // Every org must exist before anything is created.
      for (const orgId of orgIds) await ctx.services.identity.orgs.get(appOf(ctx), orgId);
      const pending = ctx.body.isPendingActivation === true;
      const user = await ctx.services.users.create(appOf(ctx), {
        username: ctx.body.username ?? null,
        password: ctx.body.password,
        fullName: ctx.body.fullName ?? null,
        picture: ctx.body.picture ?? null,
        emails: emailsInput(ctx.body.emails),
        isActive: !pending,
      });
      await ctx.services.identity.orgs.enrol(appOf(ctx), user.id, orgIds);
      if (pending) await ctx.services.identity.account.sendActivation(user);
      const memberOf = (await ctx.services.identity.orgs.orgIdsOf([user.id])).get(user.id) ?? [];
      return { user: presentUser(user, {}, { orgIds: memberOf }) };
    },
  }),
  rpcMethod({
    name: 'user.update',
    response: RESPONSES.user,
    auth: 'required',
    body: UserUpdateBody,
    summary: 'Update a user; changing your own password or emails needs your current password',
    handler: async (ctx) => {
      const caller = principalOf(ctx);
      const { id, secondaryAuthFactor, ...changes } = ctx.body;
      if (Object.keys(changes).length === 0) invalidBody([nothingToUpdate()]);
      const target = await ctx.services.users.get(appOf(ctx), id);
      await requireSelfOr(ctx, id, WRITE);
      const isSelf = caller.userId === id;
      const superuser = await isAllowed(ctx, WRITE);
      const context = contextOf(ctx.request, ctx.services.config);
      if (changes.emails) {
        const wasVerified = new Map(target.emails.map((e) => [emailKey(e.address), e.isVerified]));
        for (const e of changes.emails) {
          // Only a user administrator may vouch for an address; others must verify it by mail.
          if (e.isVerified && !wasVerified.get(emailKey(e.address)) && !superuser) {
            fail('invalid_input', 'Only an administrator may mark an email address verified');
          }
          if (e.isPrimary && !e.isVerified && !superuser && target.emails.length > 0) {
            fail('invalid_primary_email', 'Primary email must be verified');
          }
        }
      }
      // A stolen session must not be enough to take the account over: your own
      // password and emails change only with your current password.
      if (isSelf && (changes.password !== undefined || changes.emails !== undefined)) {
        await ctx.services.signIn.confirm(target, secondaryAuthFactor, context);
      }
      const updated = await ctx.services.users.update(
        appOf(ctx),
        id,
        {
          ...(changes.username !== undefined ? { username: changes.username } : {}),
          ...(changes.password !== undefined ? { password: changes.password } : {}),
          ...(changes.fullName !== undefined ? { fullName: changes.fullName } : {}),
          ...(changes.picture !== undefined ? { picture: changes.picture } : {}),
          ...(changes.emails !== undefined ? { emails: emailsInput(changes.emails) } : {}),
        },
        { ...(isSelf ? { keepSessionId: caller.sessionId } : {}), context },
      );
      return { user: presentUser(updated, { orgs: false, createdAt: false, updatedAt: false }) };
    },
  }),
  rpcMethod({
    name: 'user.delete',
    response: RESPONSES.nothing,
    auth: 'required',
    body: IdBody,
    summary: 'Delete a user (yourself, or with yeep.user.write)',
    handler: async (ctx) => {
      await ctx.services.users.get(appOf(ctx), ctx.body.id);
      await requireSelfOr(ctx, ctx.body.id, WRITE);
      await ctx.services.users.delete(appOf(ctx), ctx.body.id, contextOf(ctx.request, ctx.services.config));
      return {};
    },
  }),
  rpcMethod({
    name: 'user.list',
    response: RESPONSES.userList,
    auth: 'required',
    body: UserListBody,
    summary: 'List the users you may read',
    handler: async (ctx) => {
      const fields = (ctx.body.projection ?? {}) as Partial<Record<UserField, boolean>>;
      // Everyone with global yeep.user.read; otherwise the members of the orgs where you hold it.
      const { users, hasMore } = await ctx.services.identity.directory.list(
        appOf(ctx),
        await callerAccess(ctx),
        {
          limit: ctx.body.limit ?? 100,
          ...after(ctx.body.cursor),
          ...(ctx.body.q ? { q: ctx.body.q } : {}),
          ...(ctx.body.org ? { orgId: ctx.body.org } : {}),
        },
        { permissions: fields.permissions === true, roles: fields.roles === true },
      );
      return {
        users: users.map((v) => presentView(v, fields)),
        ...next(
          hasMore,
          users.map((v) => v.user),
        ),
      };
    },
  }),
  rpcMethod({
    name: 'user.activate',
    response: RESPONSES.userStatus,
    auth: 'required',
    body: IdBody,
    summary: 'Activate a user (needs yeep.user.write)',
    handler: async (ctx) => {
      await requirePermission(ctx, WRITE);
      const user = await ctx.services.users.activate(appOf(ctx), ctx.body.id);
      return { user: statusView(user) };
    },
  }),
  rpcMethod({
    name: 'user.deactivate',
    response: RESPONSES.userStatus,
    auth: 'required',
    body: DeactivateBody,
    summary: 'Deactivate a user now or later, ending their sessions (needs yeep.user.write)',
    handler: async (ctx) => {
      await requirePermission(ctx, WRITE);
      const user = await ctx.services.users.deactivate(appOf(ctx), ctx.body.id, {
        afterSeconds: ctx.body.deactivateAfterSeconds ?? 0,
        context: contextOf(ctx.request, ctx.services.config),
      });
      return { user: statusView(user) };
    },
  }),
];

const UPDATABLE = ['username', 'password', 'fullName', 'picture', 'emails'];

/** Joi's `object.missing`, as the reference answers an update without anything to change. */
function nothingToUpdate(): Record<string, unknown> {
  return {
    message: `"value" must contain at least one of [${UPDATABLE.join(', ')}]`,
    path: [],
    type: 'object.missing',
    context: { peers: UPDATABLE, label: 'value' },
  };
}

function statusView(user: User): Record<string, unknown> {
  return {
    id: user.id,
    deactivatedAt: user.deactivatedAt === null ? null : new Date(user.deactivatedAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}
