import { availableParallelism } from 'node:os';
import { hashSlots } from '../identity/passwords.js';

/** How many HTTP worker processes `workers` asks for (`auto`: one per core). */
export function workerCount(setting: string): number {
  return setting === 'auto' ? availableParallelism() : Math.max(1, Number.parseInt(setting, 10) || 1);
}

/**
 * One worker's share of the machine's hash slots: each worker has its own hashing
 * threads, and N workers each taking every slot would run N× as many argon2 hashes
 * as there are cores for them. At least one each, so every worker can sign in.
 */
export function workerHashSlots(configured: number, workers: number): number {
  return Math.max(1, Math.floor(hashSlots(configured) / Math.max(1, workers)));
}
