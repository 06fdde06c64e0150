import { cookiesOf } from '../../cookies.js';
import { authenticate } from './auth.js';
import { after, next } from './cursor.js';
import { callerAccess, type RpcContext, rpcMethod } from './method.js';
import { grantRequests } from './org-methods.js';
import { presentInvitation, presentUser } from './presenters.js';
import { RESPONSES } from './responses.js';
import { InvitationAcceptBody, InvitationCreateBody, InvitationListBody } from './schemas.js';
import { fieldDetail, invalidBody } from './validation.js';

const appOf = (ctx: RpcContext<unknown>) => ctx.services.defaultApp.id;

/** The caller when credentials are presented (they must then be valid), else null: accepting is public for new users. */
async function optionalCaller(ctx: RpcContext<unknown>): Promise<string | null> {
  const { request } = ctx;
  const hasCookie = Boolean(cookiesOf(request)[ctx.services.config.cookie.name]);
  if (!hasCookie && !request.headers.authorization) return null;
  return (await authenticate(ctx.services, request, ctx.reply)).userId;
}

const ACCOUNT_FIELDS = ['username', 'password', 'fullName', 'picture'] as const;

export const INVITATION_METHODS = [
  rpcMethod({
    name: 'invitation.create',
    response: RESPONSES.nothing,
    auth: 'required',
    body: InvitationCreateBody,
    summary:
      'Invite a user (or an address) into an org, with permissions and roles there; the link is mailed',
    handler: async (ctx) => {
      await ctx.services.identity.invitations.create(appOf(ctx), await callerAccess(ctx), {
        user: ctx.body.user,
        orgId: ctx.body.org,
        permissions: grantRequests(ctx.body.permissions),
        roles: grantRequests(ctx.body.roles),
        expiresInSeconds: ctx.body.tokenExpiresInSeconds,
      });
      return {};
    },
  }),
  rpcMethod({
    name: 'invitation.accept',
    response: RESPONSES.user,
    auth: 'public',
    body: InvitationAcceptBody,
    summary: 'Accept an invitation (once): a new account is created, or the signed-in invitee joins the org',
    handler: async (ctx) => {
      const invitations = ctx.services.identity.invitations;
      const callerId = await optionalCaller(ctx);
      const invitation = await invitations.peek(ctx.body.token);
      const invitee = await invitations.inviteeOf(appOf(ctx), invitation, callerId);
      const given = ACCOUNT_FIELDS.filter((f) => ctx.body[f] !== undefined);
      if (invitee !== null) {
        invitations.checkInvitee(invitation, callerId);
        // The account exists: nothing about it may be set here.
        if (given.length > 0) invalidBody([fieldDetail(given[0]!, 'any.forbidden')]);
      } else {
        const required = ctx.services.config.usernamesEnabled
          ? (['username', 'password'] as const)
          : (['password'] as const);
        const missing = required.find((f) => ctx.body[f] === undefined);
        if (missing) invalidBody([fieldDetail(missing, 'any.required')]);
        if (!ctx.services.config.usernamesEnabled && ctx.body.username !== undefined)
          invalidBody([fieldDetail('username', 'any.forbidden')]);
      }
      const { user } = await invitations.accept(appOf(ctx), {
        token: ctx.body.token,
        callerId,
        ...(invitee === null
          ? {
              account: {
                username: ctx.body.username,
                password: ctx.body.password!,
                fullName: ctx.body.fullName,
                picture: ctx.body.picture,
              },
            }
          : {}),
      });
      const orgIds = (await ctx.services.identity.orgs.orgIdsOf([user.id])).get(user.id) ?? [];
      return { user: presentUser(user, {}, { orgIds }) };
    },
  }),
  rpcMethod({
    name: 'invitation.list',
    response: RESPONSES.invitationList,
    auth: 'required',
    body: InvitationListBody,
    summary: 'Pending invitations: your own, or those of orgs where you hold yeep.invitation.read',
    handler: async (ctx) => {
      const { invitations, hasMore } = await ctx.services.identity.invitations.list(
        appOf(ctx),
        await callerAccess(ctx),
        {
          limit: ctx.body.limit ?? 100,
          ...after(ctx.body.cursor),
          ...(ctx.body.org ? { orgId: ctx.body.org } : {}),
          ...(ctx.body.user ? { userId: ctx.body.user } : {}),
        },
      );
      return { invitations: invitations.map(presentInvitation), ...next(hasMore, invitations) };
    },
  }),
];
