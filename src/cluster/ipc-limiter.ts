import type { AttemptLimiter, AttemptResult } from '../throttle/limiter.js';
import type { ThrottlePolicy } from '../throttle/policy.js';
import { isLatchkeyMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

const ANSWER_TIMEOUT_MS = 5_000;

/**
 * Attempt counters of a worker process without Redis: the primary holds them (one
 * MemoryAttemptLimiter for all workers) and each worker asks it over IPC, so a limit
 * is not multiplied by the number of workers. A question the primary does not answer
 * fails, and the FallbackAttemptLimiter around it (services.ts) counts locally meanwhile.
 */
export class IpcAttemptLimiter implements AttemptLimiter {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (answer: PrimaryMessage & { latchkey: 'limit-answer' }) => void; timer: NodeJS.Timeout }
  >();

  constructor(private readonly channel: NodeJS.Process = process) {
    channel.on('message', (raw: unknown) => {
      if (!isLatchkeyMessage(raw) || raw.latchkey !== 'limit-answer') return;
      const answer = raw as Extract<PrimaryMessage, { latchkey: 'limit-answer' }>;
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      this.pending.delete(answer.id);
      clearTimeout(waiting.timer);
      waiting.resolve(answer);
    });
  }

  private ask(question: Omit<Extract<WorkerMessage, { latchkey: 'limit' }>, 'latchkey' | 'id'>) {
    return new Promise<Extract<PrimaryMessage, { latchkey: 'limit-answer' }>>((resolve, reject) => {
      if (!this.channel.connected || !this.channel.send)
        return reject(new Error('attempt counters: no channel to the primary process'));
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('attempt counters: the primary process did not answer'));
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, { resolve, timer });
      const sent: WorkerMessage = { latchkey: 'limit', id, ...question };
      this.channel.send(sent);
    }).then((answer) => {
      if (answer.error) throw new Error(`attempt counters: ${answer.error}`);
      return answer;
    });
  }

  async attempt(key: string, policy: ThrottlePolicy, now: number): Promise<AttemptResult> {
    const answer = await this.ask({ op: 'attempt', key, policy, now });
    if (!answer.result) throw new Error('attempt counters: an answer without a result');
    return answer.result;
  }

  async reset(key: string): Promise<void> {
    await this.ask({ op: 'reset', key });
  }

  async refund(key: string): Promise<void> {
    await this.ask({ op: 'refund', key });
  }
}
