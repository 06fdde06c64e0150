import type { Config } from '../config/config.js';
import type { ServiceOptions } from '../services.js';
import { FallbackAttemptLimiter } from '../throttle/fallback.js';
import { MemoryAttemptLimiter } from '../throttle/limiter.js';
import { IpcBus } from './ipc-bus.js';
import { IpcAttemptLimiter } from './ipc-limiter.js';
import { workerHashSlots } from './workers.js';

/**
 * What a cluster worker changes in the services: its share of the hash slots, no
 * migrations (the primary applied them before forking), and, without Redis, the
 * primary as its bus and its attempt counters. With Redis, Redis does both, as for nodes.
 */
export function workerServiceOptions(config: Config, workers: number): ServiceOptions {
  const options: ServiceOptions = {
    migrate: false,
    hashConcurrency: workerHashSlots(config.hash.concurrency, workers),
  };
  if (config.redisUrl) return options;
  return {
    ...options,
    bus: new IpcBus(),
    limiter: new FallbackAttemptLimiter(new IpcAttemptLimiter(), new MemoryAttemptLimiter(), (err) =>
      process.stderr.write(
        `attempt counters: the primary did not answer (${String(err)}); counting locally\n`,
      ),
    ),
  };
}
