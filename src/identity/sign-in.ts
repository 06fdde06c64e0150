import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import { ACCOUNT_POLICY, ADDRESS_POLICY, type Throttle } from '../throttle/index.js';
import type { PasswordHasher } from './passwords.js';
import type { UserRepository } from './ports.js';
import { isDeactivated, type User } from './types.js';

export type SignInOutcome = 'success' | 'invalid_credentials' | 'not_activated';

/**
 * The password step of the one sign-in flow every dialect uses. Every failure
 * (unknown user, wrong password, deactivated user, user without a password) costs
 * one argon2id verification and ends in the same error, so neither the answer nor
 * its timing tells whether an account exists.
 */
export class SignInService {
  onAttempt: (appId: string, outcome: SignInOutcome) => void = () => {};

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly throttle: Throttle,
  ) {}

  /**
   * Checks a login and password. Attempts are throttled per account (the login as
   * typed, so unknown accounts are throttled exactly like real ones) and per client
   * address before the password is looked at.
   */
  async verifyPassword(
    appId: string,
    login: string,
    password: string,
    client: { ip: string | null } = { ip: null },
  ): Promise<User> {
    const accountKey = `${appId}:${login.toLowerCase()}`;
    const addressKey = client.ip ? `${appId}:ip:${client.ip}` : null;
    const keys = [{ key: accountKey, policy: ACCOUNT_POLICY }];
    if (addressKey) keys.push({ key: addressKey, policy: ADDRESS_POLICY });
    await this.throttle.attempt(keys, this.clock.now());
    const user = await this.users.findByLogin(appId, login);
    const ok = await this.hasher.verify(user?.passwordHash ?? null, password);
    if (!user || !ok || isDeactivated(user, this.clock.now())) {
      this.onAttempt(appId, 'invalid_credentials');
      throw new LatchkeyError('invalid_credentials', 'Invalid user or password');
    }
    await this.throttle.succeeded(accountKey, addressKey ? [addressKey] : []);
    // Only someone who knows the password learns that the account waits for activation.
    if (!user.isActive) {
      this.onAttempt(appId, 'not_activated');
      throw new LatchkeyError('user_not_activated', 'Not Activated');
    }
    if (user.passwordHash && this.hasher.needsRehash(user.passwordHash)) {
      const passwordHash = await this.hasher.hash(password);
      await this.users.update(appId, user.id, { passwordHash }, this.clock.now());
    }
    this.onAttempt(appId, 'success');
    return user;
  }
}
