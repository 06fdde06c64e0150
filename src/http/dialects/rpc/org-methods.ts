import { after, next } from './cursor.js';
import { callerAccess, type RpcContext, rpcMethod } from './method.js';
import { presentOrg } from './presenters.js';
import { RESPONSES } from './responses.js';
import {
  IdBody,
  OrgAddMemberBody,
  OrgCreateBody,
  OrgListBody,
  OrgRemoveMemberBody,
  OrgUpdateBody,
} from './schemas.js';
import { invalidBody, nothingToChange } from './validation.js';

const appOf = (ctx: RpcContext<unknown>) => ctx.services.defaultApp.id;

/** A grant as the core takes it; a numeric resource id is kept as its string. */
export function grantRequests(items: Array<{ id: string; resourceId?: string | number }> | undefined) {
  return (items ?? []).map((g) => ({
    id: g.id,
    ...(g.resourceId !== undefined ? { resourceId: String(g.resourceId) } : {}),
  }));
}

export const ORG_METHODS = [
  rpcMethod({
    name: 'org.create',
    response: RESPONSES.org,
    auth: 'required',
    body: OrgCreateBody,
    summary: 'Create an org; you become its admin (needs yeep.org.write unless org creation is open)',
    handler: async (ctx) => {
      const org = await ctx.services.identity.orgs.create(appOf(ctx), await callerAccess(ctx), ctx.body);
      return { org: presentOrg(org) };
    },
  }),
  rpcMethod({
    name: 'org.info',
    response: RESPONSES.org,
    auth: 'required',
    body: IdBody,
    summary: 'An org (needs yeep.org.read or yeep.org.write in it or globally)',
    handler: async (ctx) => {
      const org = await ctx.services.identity.orgs.info(appOf(ctx), await callerAccess(ctx), ctx.body.id);
      return { org: presentOrg(org) };
    },
  }),
  rpcMethod({
    name: 'org.update',
    response: RESPONSES.org,
    auth: 'required',
    body: OrgUpdateBody,
    summary: 'Rename an org or change its slug (needs yeep.org.write in it or globally)',
    handler: async (ctx) => {
      const { id, ...patch } = ctx.body;
      if (Object.keys(patch).length === 0) invalidBody([nothingToChange(['name', 'slug'])]);
      const org = await ctx.services.identity.orgs.update(appOf(ctx), await callerAccess(ctx), id, patch);
      return { org: presentOrg(org) };
    },
  }),
  rpcMethod({
    name: 'org.delete',
    response: RESPONSES.nothing,
    auth: 'required',
    body: IdBody,
    summary: 'Delete an org with its memberships, the grants made in it and its own permissions and roles',
    handler: async (ctx) => {
      await ctx.services.identity.orgs.delete(appOf(ctx), await callerAccess(ctx), ctx.body.id);
      return {};
    },
  }),
  rpcMethod({
    name: 'org.list',
    response: RESPONSES.orgList,
    auth: 'required',
    body: OrgListBody,
    summary: 'List the orgs you may read (yeep.org.read), or the orgs of one user',
    handler: async (ctx) => {
      const limit = ctx.body.limit ?? 100;
      const { orgs, count, hasMore } = await ctx.services.identity.orgs.list(
        appOf(ctx),
        await callerAccess(ctx),
        {
          limit,
          ...after(ctx.body.cursor),
          ...(ctx.body.q ? { q: ctx.body.q } : {}),
          ...(ctx.body.user ? { userId: ctx.body.user } : {}),
        },
      );
      return { orgs: orgs.map(presentOrg), orgsCount: count, ...next(hasMore, orgs) };
    },
  }),
  rpcMethod({
    name: 'org.addMember',
    response: RESPONSES.nothing,
    auth: 'required',
    body: OrgAddMemberBody,
    summary: 'Make a user a member of an org, with permissions and roles in it (needs yeep.user.write there)',
    handler: async (ctx) => {
      await ctx.services.identity.orgs.addMember(appOf(ctx), await callerAccess(ctx), {
        orgId: ctx.body.orgId,
        userId: ctx.body.userId,
        permissions: grantRequests(ctx.body.permissions),
        roles: grantRequests(ctx.body.roles),
        expiresInSeconds: ctx.body.expiresInSeconds,
      });
      return {};
    },
  }),
  rpcMethod({
    name: 'org.removeMember',
    response: RESPONSES.nothing,
    auth: 'required',
    body: OrgRemoveMemberBody,
    summary: 'End a membership; the grants made in the org go with it (needs yeep.user.write there)',
    handler: async (ctx) => {
      await ctx.services.identity.orgs.removeMember(appOf(ctx), await callerAccess(ctx), ctx.body);
      return {};
    },
  }),
];
