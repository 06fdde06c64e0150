import type { User } from '../../../identity/types.js';
import { primaryEmail } from '../../../identity/types.js';
import { isLatchkeyError, LatchkeyError } from '../../../shared/errors.js';
import { contextOf } from '../../client.js';
import { principalOf, type RpcContext, rpcMethod } from './method.js';
import { RESPONSES } from './responses.js';
import { TotpActivateBody, TotpEjectBody, TotpEnrollBody } from './schemas.js';

/** The target user of a totp.* call: yourself, or anyone with yeep.user.write; deactivated users are refused. */
async function target(ctx: RpcContext<{ userId: string }>): Promise<User> {
  const caller = principalOf(ctx);
  const user = await ctx.services.users.get(caller.appId, ctx.body.userId);
  if (caller.userId !== user.id)
    await ctx.services.authz.require(caller.appId, caller.userId, 'yeep.user.write');
  if (user.deactivatedAt !== null && user.deactivatedAt <= ctx.services.clock.now()) {
    throw new LatchkeyError('user_deactivated', 'User is deactivated');
  }
  return user;
}

function duplicate(user: User): LatchkeyError {
  return new LatchkeyError('conflict', `User "${user.id}" is already enrolled to TOTP authentication`, {
    rpcCode: 10032,
  });
}

export const TOTP_METHODS = [
  rpcMethod({
    name: 'totp.enroll',
    response: RESPONSES.totpEnrollment,
    auth: 'required',
    body: TotpEnrollBody,
    summary:
      'Start TOTP enrollment: a secret and its QR code, pending activation for 15 minutes; yourself with your current password',
    handler: async (ctx) => {
      const user = await target(ctx);
      if (await ctx.services.mfa.hasTotp(user.id)) throw duplicate(user);
      if (principalOf(ctx).userId === user.id) {
        await ctx.services.signIn.confirmEnrolment(
          user,
          ctx.body.secondaryAuthFactor,
          contextOf(ctx.request, ctx.services.config),
        );
      }
      const enrollment = await ctx.services.mfa.enroll(user, primaryEmail(user) ?? user.username ?? user.id);
      return { totp: { secret: enrollment.secret, qrcode: enrollment.qrcode, isPendingActivation: true } };
    },
  }),
  rpcMethod({
    name: 'totp.activate',
    response: RESPONSES.nothing,
    auth: 'required',
    body: TotpActivateBody,
    summary: 'Activate TOTP with one code from the enrolled secret',
    handler: async (ctx) => {
      const user = await target(ctx);
      if (await ctx.services.mfa.hasTotp(user.id)) throw duplicate(user);
      try {
        await ctx.services.mfa.activate(user, ctx.body.secret, ctx.body.token);
      } catch (err) {
        if (isLatchkeyError(err) && err.code === 'auth_factor_invalid') {
          throw new LatchkeyError('auth_factor_invalid', 'TOTP token cannot be verified', { rpcCode: 10031 });
        }
        if (isLatchkeyError(err) && err.code === 'conflict') throw duplicate(user);
        throw err;
      }
      return {};
    },
  }),
  rpcMethod({
    name: 'totp.eject',
    response: RESPONSES.nothing,
    auth: 'required',
    body: TotpEjectBody,
    summary: 'Remove TOTP (and the recovery codes); yourself only with a current factor',
    handler: async (ctx) => {
      const caller = principalOf(ctx);
      const user = await target(ctx);
      if (!(await ctx.services.mfa.hasTotp(user.id))) {
        throw new LatchkeyError(
          'auth_factor_not_found',
          `User ${user.id} is not enrolled to TOTP authentication`,
        );
      }
      if (caller.userId === user.id) {
        await ctx.services.signIn.confirm(
          user,
          ctx.body.secondaryAuthFactor,
          contextOf(ctx.request, ctx.services.config),
        );
      }
      await ctx.services.mfa.remove(user.id);
      return {};
    },
  }),
  rpcMethod({
    name: 'totp.generateRecoveryCodes',
    response: RESPONSES.recoveryCodes,
    auth: 'required',
    body: TotpEjectBody,
    summary:
      'Ten new single-use recovery codes for yourself (needs TOTP and a current factor); earlier codes stop working',
    handler: async (ctx) => {
      const caller = principalOf(ctx);
      const user = await target(ctx);
      // Recovery codes bypass the authenticator: only their owner, re-authenticated, may see them.
      if (caller.userId !== user.id)
        throw new LatchkeyError(
          'forbidden',
          `User "${caller.userId}" may not generate another user's recovery codes`,
        );
      if (!(await ctx.services.mfa.hasTotp(user.id))) {
        throw new LatchkeyError(
          'auth_factor_not_found',
          `User ${user.id} is not enrolled to TOTP authentication`,
        );
      }
      await ctx.services.signIn.confirm(
        user,
        ctx.body.secondaryAuthFactor,
        contextOf(ctx.request, ctx.services.config),
      );
      return { recoveryCodes: await ctx.services.mfa.generateRecoveryCodes(user) };
    },
  }),
];
