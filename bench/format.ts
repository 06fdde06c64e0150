import type { Check } from './scenarios/types.js';

export function percent(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)} %` : 'n/a';
}

/** A checked ratio: one decimal when whole percents would hide which side of the target it is on. */
export function ratioText(c: Pick<Check, 'ratio' | 'target'>): string {
  if (!Number.isFinite(c.ratio)) return 'n/a';
  const close = Math.abs(c.ratio - c.target) < 0.01;
  return `${(c.ratio * 100).toFixed(close ? 1 : 0)} %`;
}

export function targetText(c: Pick<Check, 'target' | 'direction'>): string {
  return `${c.direction === 'min' ? '≥' : '≤'} ${percent(c.target)}`;
}

export function rate(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(1);
}

export function ms(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(value >= 10 ? 1 : 2);
}

export function megabytes(bytes: number | null): string {
  return bytes === null ? '–' : (bytes / (1024 * 1024)).toFixed(0);
}

export function storeTitle(store: string): string {
  return store === 'sqlite' ? 'SQLite' : store === 'postgres' ? 'PostgreSQL' : store;
}
