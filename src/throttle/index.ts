export { type AttemptLimiter, type AttemptResult, MemoryAttemptLimiter } from './limiter.js';
export { ACCOUNT_POLICY, ADDRESS_POLICY, delayAfter, type ThrottlePolicy } from './policy.js';
export { Throttle, type ThrottleKey } from './throttle.js';
