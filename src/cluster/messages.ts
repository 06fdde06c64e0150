import type { AttemptResult } from '../throttle/limiter.js';
import type { ThrottlePolicy } from '../throttle/policy.js';

/** What workers and the primary say to each other over the cluster's IPC channel. */
export type WorkerMessage =
  | { latchkey: 'bus'; topic: string; message: string }
  | {
      latchkey: 'limit';
      id: number;
      op: 'attempt' | 'reset' | 'refund';
      key: string;
      policy?: ThrottlePolicy;
      now?: number;
    };

export type PrimaryMessage =
  | { latchkey: 'bus'; topic: string; message: string }
  | { latchkey: 'limit-answer'; id: number; result?: AttemptResult; error?: string };

export function isLatchkeyMessage(value: unknown): value is { latchkey: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { latchkey?: unknown }).latchkey === 'string'
  );
}
