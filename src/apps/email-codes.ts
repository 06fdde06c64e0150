import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { type App, appQName } from '../identity/types.js';
import { emailKey, isEmailAddress } from '../identity/validation.js';
import type { TemplateName, TemplateVars } from '../mail/index.js';
import type { Clock } from '../shared/clock.js';
import { isLatchkeyError, LatchkeyError } from '../shared/errors.js';
import { newSecret } from '../shared/ids.js';
import { deriveKeys, type MasterSecrets } from '../shared/master-secrets.js';
import type { Throttle } from '../throttle/index.js';
import type { TokenService } from '../tokens/jwt.js';
import { checkLogin } from './logins.js';
import {
  CODE_MAX_ATTEMPTS,
  CODE_REQUEST_ADDRESS_POLICY,
  CODE_REQUEST_EMAIL_POLICY,
  CODE_VERIFY_ADDRESS_POLICY,
} from './policies.js';
import type { EmailCodeRepository } from './ports.js';

/** What the flow needs from mail: the outbox (MailService fits). */
export interface CodeMailer {
  enqueue(appId: string, to: string, template: TemplateName, vars: TemplateVars): Promise<string>;
}

export const EMAIL_CODE_TTL_SECONDS = 600;
/** The reference's verified-value tokens live 10 minutes. */
export const VERIFIED_EMAIL_TTL_SECONDS = 600;
const VERIFIED_EMAIL_KIND = 'apps-verified-email' as const;

/** The reference's VerifiedValuePayload fields for an email verified for sign-up. */
const VERIFIED_EMAIL_CLAIMS = {
  VerificationKind: 0,
  Entity: 'registry.CreateEmailLoginParams',
  Field: 'Email',
} as const;

/**
 * Proof of an email address for sign-up, in two steps: a 6-digit code is mailed and a
 * verification token (the id of the code's record) is answered; the code and that
 * token together are exchanged, once, for a 10-minute verified-email token (a JWT of
 * kind `apps-verified-email`, bound to the app), which `POST …/users` accepts.
 *
 * Codes are stored only as an HMAC under a key derived from the master secret, work
 * once, expire after 10 minutes and burn after 5 wrong guesses; requests are throttled
 * per address and per client. Whether the address already has a login is never said
 * here: only the holder of the mailbox learns it (409 at sign-up).
 */
export class EmailCodeService {
  /** The current master secret's key first, then the fallbacks' (codes made before a rotation still verify). */
  private readonly keys: Buffer[];
  private lastCleanup = 0;

  constructor(
    private readonly repo: EmailCodeRepository,
    private readonly mail: CodeMailer,
    private readonly throttle: Throttle,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    masterSecrets: MasterSecrets,
  ) {
    this.keys = deriveKeys(masterSecrets, 'hash:apps-email-codes');
  }

  private hash(id: string, code: string, key = this.keys[0]!): Buffer {
    return createHmac('sha256', key).update(`${id}:${code}`).digest();
  }

  async request(
    app: App,
    email: string,
    client: { ip: string | null },
  ): Promise<{ verificationToken: string; expiresInSeconds: number }> {
    if (!isEmailAddress(email)) throw new LatchkeyError('invalid_input', `invalid email address: ${email}`);
    // The address becomes the login: refuse now an address that could never be one.
    checkLogin(email);
    const now = this.clock.now();
    // By the address's key: its spellings (fullwidth, upper case) share one allowance.
    const keys = [{ key: `${app.id}:code:${emailKey(email)}`, policy: CODE_REQUEST_EMAIL_POLICY }];
    if (client.ip)
      keys.push({
        key: `${app.id}:code-ip:${this.throttle.address(client.ip)}`,
        policy: CODE_REQUEST_ADDRESS_POLICY,
      });
    await this.throttle.attempt(keys, now);
    const id = newSecret(18);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await this.repo.create({
      id,
      appId: app.id,
      email,
      codeHash: this.hash(id, code).toString('hex'),
      attempts: 0,
      createdAt: now,
      expiresAt: now + EMAIL_CODE_TTL_SECONDS * 1000,
      consumedAt: null,
    });
    await this.mail.enqueue(app.id, email, 'email-code', {
      appName: appQName(app),
      code,
      expiresInMinutes: EMAIL_CODE_TTL_SECONDS / 60,
    });
    if (now - this.lastCleanup > 60 * 60_000) {
      this.lastCleanup = now;
      await this.repo.deleteExpired(now - 24 * 60 * 60_000);
    }
    return { verificationToken: id, expiresInSeconds: EMAIL_CODE_TTL_SECONDS };
  }

  async verify(
    app: App,
    verificationToken: string,
    code: string,
    client: { ip: string | null },
  ): Promise<{ verifiedEmailToken: string; expiresInSeconds: number }> {
    const now = this.clock.now();
    const addressKey = client.ip ? `${app.id}:code-check-ip:${this.throttle.address(client.ip)}` : null;
    if (addressKey)
      await this.throttle.attempt([{ key: addressKey, policy: CODE_VERIFY_ADDRESS_POLICY }], now);
    const record = await this.repo.countAttempt(app.id, verificationToken, now, CODE_MAX_ATTEMPTS);
    const expected = record ? Buffer.from(record.codeHash, 'hex') : Buffer.alloc(32);
    // Every key is tried (no early exit), so the time taken says nothing about which matched.
    let matches = false;
    for (const key of this.keys)
      matches = timingSafeEqual(expected, this.hash(verificationToken, code, key)) || matches;
    // Compare-and-swap: of several requests with the right code, exactly one gets the token.
    if (!record || !matches || !(await this.repo.consume(record.id, now))) {
      throw new LatchkeyError('invalid_input', 'invalid or expired verification code');
    }
    if (addressKey) await this.throttle.succeeded(`${app.id}:code-check:${record.id}`, [addressKey]);
    const expiresAtMs = (Math.floor(now / 1000) + VERIFIED_EMAIL_TTL_SECONDS) * 1000;
    const verifiedEmailToken = await this.tokens.sign(
      VERIFIED_EMAIL_KIND,
      { ...VERIFIED_EMAIL_CLAIMS, Value: record.email, AppQName: appQName(app) },
      { audience: appQName(app), id: record.id, expiresAtMs },
    );
    return { verifiedEmailToken, expiresInSeconds: VERIFIED_EMAIL_TTL_SECONDS };
  }

  /** The address a verified-email token proves, for this app; invalid_input naming why not. */
  async verifiedEmail(app: App, token: string): Promise<string> {
    const fail = (why: string): never => {
      throw new LatchkeyError('invalid_input', `verifiedEmailToken validation failed: ${why}`);
    };
    let claims: Record<string, unknown> = {};
    try {
      claims = (await this.tokens.verify(token, [VERIFIED_EMAIL_KIND], { audience: appQName(app) })).claims;
    } catch (err) {
      fail(isLatchkeyError(err) && err.code === 'token_expired' ? 'token expired' : 'invalid token');
    }
    const email = claims['Value'];
    if (claims['Field'] !== VERIFIED_EMAIL_CLAIMS.Field || typeof email !== 'string')
      return fail('invalid token');
    return email;
  }
}
