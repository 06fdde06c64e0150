import type { Redis } from 'ioredis';
import type { AttemptLimiter, AttemptResult } from '../../throttle/limiter.js';
import type { ThrottlePolicy } from '../../throttle/policy.js';

/**
 * The same growing-delay counter as MemoryAttemptLimiter, as one Lua script so that
 * check-and-count is atomic across every node sharing the Redis.
 * KEYS[1] = counter; ARGV = now, freeFailures, baseDelayMs, maxDelayMs, windowMs.
 */
const ATTEMPT = `
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local failures = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local blocked = tonumber(redis.call('HGET', KEYS[1], 'b') or '0')
-- Forgotten by the callers' clock, as in memory, not only by Redis's own (PEXPIRE below).
local expires = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if expires > 0 and expires <= now then
  failures = 0
  blocked = 0
end
if blocked > now then
  return {0, blocked - now, failures}
end
failures = failures + 1
local delay = 0
if failures > free then
  delay = math.min(base * (2 ^ math.min(failures - free - 1, 30)), cap)
end
local until_ = now + delay
redis.call('HSET', KEYS[1], 'f', failures, 'b', until_, 'e', now + math.max(delay, window))
redis.call('PEXPIRE', KEYS[1], math.max(delay, window))
return {1, 0, failures}
`;

const REFUND = `
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
if f <= 1 then redis.call('DEL', KEYS[1]) else redis.call('HSET', KEYS[1], 'f', f - 1) end
return 1
`;

export class RedisAttemptLimiter implements AttemptLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async attempt(key: string, policy: ThrottlePolicy, now: number): Promise<AttemptResult> {
    const [allowed, retryAfterMs, failures] = (await this.redis.eval(
      ATTEMPT,
      1,
      `${this.prefix}throttle:${key}`,
      now,
      policy.freeFailures,
      policy.baseDelayMs,
      policy.maxDelayMs,
      policy.windowMs,
    )) as [number, number, number];
    return { allowed: allowed === 1, retryAfterMs: Number(retryAfterMs), failures: Number(failures) };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}throttle:${key}`);
  }

  async refund(key: string): Promise<void> {
    await this.redis.eval(REFUND, 1, `${this.prefix}throttle:${key}`);
  }
}
