import QRCode from 'qrcode';
import type { User } from '../identity/types.js';
import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import type { RequestContext } from '../shared/request-context.js';
import type { Sealer } from '../shared/seal.js';
import { ACCOUNT_POLICY, type Throttle } from '../throttle/index.js';
import type { MfaRepository } from './ports.js';
import {
  hashRecoveryCode,
  looksLikeRecoveryCode,
  newRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes.js';
import { matchingStep, newTotpSecret, otpauthUri } from './totp.js';

export type FactorType = 'TOTP' | 'RECOVERY_CODE';

export interface SecondFactor {
  type: string;
  token: string;
}

export type MfaOutcome = 'success' | 'invalid' | 'replay' | 'throttled';

export const ENROLLMENT_TTL_MS = 15 * 60_000;

/**
 * TOTP (RFC 6238) and recovery codes. Secrets are sealed at rest; a code is accepted
 * once per user (the newest accepted step is stored and compared-and-swapped, so a
 * replay — even two parallel submissions — fails); wrong codes are throttled per user
 * with growing delays.
 */
export class MfaService {
  onVerify: (outcome: MfaOutcome, type: string, user: User, context: RequestContext | undefined) => void =
    () => {};

  constructor(
    private readonly repo: MfaRepository,
    private readonly sealer: Sealer,
    private readonly throttle: Throttle,
    private readonly clock: Clock,
    private readonly issuer: string,
  ) {}

  /** The second factors a user can present at sign-in (empty: no MFA). */
  async factors(userId: string): Promise<FactorType[]> {
    if (!(await this.repo.findTotp(userId))) return [];
    return (await this.repo.countRecoveryCodes(userId)) > 0 ? ['TOTP', 'RECOVERY_CODE'] : ['TOTP'];
  }

  async hasTotp(userId: string): Promise<boolean> {
    return (await this.repo.findTotp(userId)) !== null;
  }

  async enroll(user: User, accountName: string): Promise<{ secret: string; uri: string; qrcode: string }> {
    if (await this.hasTotp(user.id))
      throw new LatchkeyError('conflict', `User "${user.id}" is already enrolled to TOTP authentication`);
    const secret = newTotpSecret();
    await this.repo.savePending(
      user.appId,
      user.id,
      this.sealer.seal(secret),
      this.clock.now() + ENROLLMENT_TTL_MS,
    );
    const uri = otpauthUri(secret, this.issuer, accountName);
    return { secret, uri, qrcode: await QRCode.toDataURL(uri) };
  }

  /** Activates a pending enrollment once the user proves one code from it. */
  async activate(user: User, secret: string, token: string): Promise<void> {
    if (await this.hasTotp(user.id))
      throw new LatchkeyError('conflict', `User "${user.id}" is already enrolled to TOTP authentication`);
    const pending = await this.repo.findPending(user.id);
    if (
      !pending ||
      pending.expiresAt <= this.clock.now() ||
      this.sealer.open(pending.secretSealed) !== secret
    ) {
      throw new LatchkeyError(
        'session_not_found',
        'Secret key not associated with the designated user or has already expired',
      );
    }
    await this.throttle.attempt([{ key: user.id, policy: ACCOUNT_POLICY }], this.clock.now());
    const step = matchingStep(secret, token, this.clock.now());
    if (step === null)
      throw new LatchkeyError('auth_factor_invalid', 'TOTP token cannot be verified', { totp: true });
    await this.throttle.succeeded(user.id);
    // Sealed anew rather than copied: the pending value may predate a master-secret rotation,
    // and a copy made while `secrets reseal` runs would keep the old secret alive unseen.
    const sealed = this.sealer.seal(secret);
    if (!(await this.repo.activate(user.appId, user.id, sealed, step, this.clock.now()))) {
      throw new LatchkeyError('conflict', `User "${user.id}" is already enrolled to TOTP authentication`);
    }
  }

  async remove(userId: string): Promise<boolean> {
    return this.repo.remove(userId);
  }

  /** New recovery codes (shown once), replacing any earlier ones. Needs TOTP. */
  async generateRecoveryCodes(user: User): Promise<string[]> {
    if (!(await this.hasTotp(user.id)))
      throw new LatchkeyError(
        'auth_factor_not_found',
        `User "${user.id}" is not enrolled to TOTP authentication`,
      );
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.repo.replaceRecoveryCodes(user.appId, user.id, codes.map(hashRecoveryCode), this.clock.now());
    return codes;
  }

  /**
   * Checks a second factor. Throws auth_factor_not_found (type not enrolled),
   * auth_factor_invalid (wrong, expired or replayed) or rate_limited.
   */
  async verify(user: User, factor: SecondFactor, context: RequestContext | undefined): Promise<void> {
    const totp = await this.repo.findTotp(user.id);
    if (!totp)
      throw new LatchkeyError(
        'auth_factor_not_found',
        `User "${user.id}" is not enrolled to ${factor.type} authentication`,
      );
    const now = this.clock.now();
    try {
      await this.throttle.attempt([{ key: user.id, policy: ACCOUNT_POLICY }], now);
    } catch (err) {
      this.onVerify('throttled', factor.type, user, context);
      throw err;
    }
    if (factor.type === 'TOTP') {
      const step = matchingStep(this.sealer.open(totp.secretSealed), factor.token, now);
      if (step === null) return this.fail('invalid', factor.type, user, context);
      if (!(await this.repo.consumeStep(user.id, step)))
        return this.fail('replay', factor.type, user, context);
    } else if (factor.type === 'RECOVERY_CODE') {
      if (!looksLikeRecoveryCode(factor.token)) return this.fail('invalid', factor.type, user, context);
      if (!(await this.repo.consumeRecoveryCode(user.id, hashRecoveryCode(factor.token), now)))
        return this.fail('invalid', factor.type, user, context);
    } else {
      throw new LatchkeyError(
        'auth_factor_not_found',
        `User "${user.id}" is not enrolled to ${factor.type} authentication`,
      );
    }
    await this.throttle.succeeded(user.id);
    this.onVerify('success', factor.type, user, context);
  }

  private fail(outcome: MfaOutcome, type: string, user: User, context: RequestContext | undefined): never {
    this.onVerify(outcome, type, user, context);
    throw new LatchkeyError('auth_factor_invalid', 'The supplied OTP token cannot be verified');
  }
}
