import type { AuditLog } from '../audit/index.js';
import type { PasswordHasher } from '../identity/passwords.js';
import type { SignInService } from '../identity/sign-in.js';
import type { UserService } from '../identity/users.js';
import type { MfaService } from '../mfa/index.js';
import type { SessionService } from '../session/index.js';
import type { AttemptLimiter } from '../throttle/index.js';
import type { Metrics } from './metrics.js';

/** Counts refusals by scope (the part of the key before the first ':'), whatever Throttle asked. */
export function countingLimiter(inner: AttemptLimiter, metrics: Metrics): AttemptLimiter {
  return {
    async attempt(key, policy, now) {
      const result = await inner.attempt(key, policy, now);
      if (!result.allowed) metrics.rateLimited.inc({ scope: key.split(':')[0] ?? 'unknown' });
      return result;
    },
    reset: (key) => inner.reset(key),
    refund: (key) => inner.refund(key),
  };
}

/** Connects the core's events to the audit log and the metrics. */
export function observe(parts: {
  signIn: SignInService;
  mfa: MfaService;
  sessions: SessionService;
  users: UserService;
  hasher: PasswordHasher;
  audit: AuditLog;
  metrics: Metrics;
}): void {
  const { audit, metrics } = parts;

  // Every callback gets the context of the request that caused the event (none outside one).
  parts.signIn.onAttempt = (appId, outcome, userId, context) => {
    metrics.signIns.inc({ dialect: context?.dialect ?? 'none', outcome });
    const type =
      outcome === 'success'
        ? 'signin.success'
        : outcome === 'throttled'
          ? 'signin.throttled'
          : 'signin.failure';
    const details = outcome === 'not_activated' ? { reason: 'not_activated' } : {};
    void audit.record(type, { appId, userId, details }, context);
  };
  parts.mfa.onVerify = (outcome, type, user, context) => {
    metrics.mfa.inc({ type, outcome });
    void audit.record(
      outcome === 'success' ? 'mfa.success' : 'mfa.failure',
      { appId: user.appId, userId: user.id, details: { factor: type, outcome } },
      context,
    );
  };
  parts.sessions.onEvent = (event, context) => {
    if (event.type === 'refresh.reuse_detected') {
      metrics.refreshReuse.inc();
      void audit.record(
        'refresh.reuse_detected',
        {
          appId: event.session.appId,
          userId: event.session.userId,
          details: { sessionId: event.session.id },
        },
        context,
      );
    } else {
      void audit.record(
        'session.revoked',
        {
          appId: event.session.appId,
          userId: event.session.userId,
          details: { sessionId: event.session.id, reason: event.reason },
        },
        context,
      );
    }
  };
  parts.users.onEvent = (event, context) => {
    void audit.record(
      event.type,
      { appId: event.appId, userId: event.userId, ...(event.details ? { details: event.details } : {}) },
      context,
    );
  };
  parts.hasher.onWait = (ms) => metrics.hashWaitSeconds.observe(ms / 1000);
}
