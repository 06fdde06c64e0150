import type { MasterSecrets } from '../shared/master-secrets.js';
import { Sealer } from '../shared/seal.js';
import { SEALED_COLUMNS, type SealedColumn, type SealedValueStore } from './ports.js';

/** What re-sealing found in one column. */
export interface ResealCount {
  column: SealedColumn;
  /** Values looked at. */
  total: number;
  /** Already sealed under the current master secret. */
  current: number;
  /** Sealed under a fallback and now sealed under the current secret (or, in a dry run, that would be). */
  resealed: number;
  /** Rewritten by a server between the read and the write, and now under the current secret, or removed. */
  changedMeanwhile: number;
  /** Opened by none of the configured secrets: left as they are. */
  unreadable: number;
}

const PAGE = 500;
/** Lost compare-and-swaps on one value before giving up on it. */
const MAX_ATTEMPTS = 5;

/**
 * Re-seals every value sealed at rest under the current master secret, so that the
 * fallback secrets can then be dropped. Safe while servers run: each value is replaced
 * with a compare-and-swap, and a value rewritten meanwhile is read again and judged
 * anew. Values no configured secret opens are counted and left alone, never destroyed.
 */
export class ResealService {
  constructor(
    private readonly store: SealedValueStore,
    private readonly secrets: MasterSecrets,
  ) {}

  async reseal(options: { dryRun: boolean }): Promise<ResealCount[]> {
    const counts: ResealCount[] = [];
    for (const [column, purpose] of Object.entries(SEALED_COLUMNS) as [SealedColumn, string][]) {
      counts.push(await this.resealColumn(column, new Sealer(this.secrets, purpose), options.dryRun));
    }
    return counts;
  }

  private async resealColumn(column: SealedColumn, sealer: Sealer, dryRun: boolean): Promise<ResealCount> {
    const count: ResealCount = {
      column,
      total: 0,
      current: 0,
      resealed: 0,
      changedMeanwhile: 0,
      unreadable: 0,
    };
    let after: string | null = null;
    for (;;) {
      const page = await this.store.page(column, after, PAGE);
      for (const { key, sealed } of page) {
        count.total++;
        count[await this.resealValue(column, sealer, key, sealed, dryRun)]++;
      }
      if (page.length < PAGE) return count;
      after = page[page.length - 1]!.key;
    }
  }

  private async resealValue(
    column: SealedColumn,
    sealer: Sealer,
    key: string,
    read: string,
    dryRun: boolean,
  ): Promise<'current' | 'resealed' | 'changedMeanwhile' | 'unreadable'> {
    let sealed: string | null = read;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (sealed === null) return 'changedMeanwhile';
      const opener = sealer.opener(sealed);
      if (opener === 0) return attempt === 0 ? 'current' : 'changedMeanwhile';
      if (opener < 0) return 'unreadable';
      if (dryRun || (await this.store.replace(column, key, sealed, sealer.reseal(sealed)))) return 'resealed';
      sealed = await this.store.get(column, key);
    }
    // Rewritten under a fallback again and again: some server still seals with an old secret.
    throw new Error(
      `${column} ${key}: rewritten under an old master secret while being re-sealed; is every server using the new LATCHKEY_SECRET?`,
    );
  }
}
