export { addressKey } from './address.js';
export { DEVICE_COOKIE, DEVICE_HEADER, DeviceTokens, type KnownDevice } from './device-tokens.js';
export { type AttemptLimiter, type AttemptResult, MemoryAttemptLimiter } from './limiter.js';
export {
  ACCOUNT_CEILING_POLICY,
  ACCOUNT_POLICY,
  ADDRESS_POLICY,
  delayAfter,
  type ThrottlePolicy,
} from './policy.js';
export { Throttle, type ThrottleKey } from './throttle.js';
