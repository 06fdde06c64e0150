import { clientInfo, contextOf } from '../../client.js';
import { callerAccess, rpcMethod } from './method.js';
import { presentUser } from './presenters.js';
import { RESPONSES } from './responses.js';
import { ForgotPasswordBody, OneTimeTokenBody, ResetPasswordBody, VerifyEmailBody } from './schemas.js';

export const ACCOUNT_METHODS = [
  rpcMethod({
    name: 'user.forgotPassword',
    response: RESPONSES.nothing,
    auth: 'public',
    body: ForgotPasswordBody,
    summary: 'Mail a password-reset link; the answer is the same whether or not the account exists',
    handler: async (ctx) => {
      await ctx.services.identity.account.forgotPassword(ctx.services.defaultApp.id, {
        userKey: ctx.body.userKey,
        expiresInSeconds: ctx.body.tokenExpiresInSeconds,
        client: clientInfo(ctx.request),
      });
      return {};
    },
  }),
  rpcMethod({
    name: 'user.resetPassword',
    response: RESPONSES.passwordReset,
    auth: 'public',
    body: ResetPasswordBody,
    summary: 'Set a new password with a reset token (once); every session of the user ends',
    handler: async (ctx) => {
      const user = await ctx.services.identity.account.resetPassword(ctx.services.defaultApp.id, {
        token: ctx.body.token,
        password: ctx.body.password,
        client: clientInfo(ctx.request),
        context: contextOf(ctx.request, ctx.services.config),
      });
      return { user: { id: user.id, updatedAt: new Date(user.updatedAt).toISOString() } };
    },
  }),
  rpcMethod({
    name: 'user.verifyEmail',
    response: RESPONSES.nothing,
    auth: 'required',
    body: VerifyEmailBody,
    summary: 'Mail a verification link for one of a user’s addresses (yourself, or with yeep.user.write)',
    handler: async (ctx) => {
      await ctx.services.identity.account.requestVerification(
        ctx.services.defaultApp.id,
        await callerAccess(ctx),
        {
          userId: ctx.body.id,
          address: ctx.body.emailAddress,
          expiresInSeconds: ctx.body.tokenExpiresInSeconds,
        },
      );
      return {};
    },
  }),
  rpcMethod({
    name: 'email.verify',
    response: RESPONSES.user,
    auth: 'public',
    body: OneTimeTokenBody,
    summary: 'Verify an address with its token (once); an account pending activation becomes active',
    handler: async (ctx) => {
      const user = await ctx.services.identity.account.verifyEmail(ctx.body.token);
      return { user: presentUser(user, { orgs: false, createdAt: false }) };
    },
  }),
];
