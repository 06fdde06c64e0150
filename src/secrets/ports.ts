/**
 * The columns that hold values sealed under the master secret, by table and column.
 * Each is sealed for one purpose (the Sealer's key derivation): both TOTP tables hold
 * MFA secrets. Pending enrolments come before active ones, so that one activated while
 * a re-seal runs has already been moved (activation also seals anew).
 */
export const SEALED_COLUMNS = {
  'signing_keys.private_sealed': 'signing-keys',
  'session_credentials.successor_sealed': 'session-successors',
  'mfa_totp_pending.secret_sealed': 'mfa-secrets',
  'mfa_totp.secret_sealed': 'mfa-secrets',
  'mail_outbox.payload_sealed': 'mail-outbox',
} as const;

export type SealedColumn = keyof typeof SEALED_COLUMNS;

/** One sealed value and the primary key of its row. */
export interface SealedValue {
  key: string;
  sealed: string;
}

/** Reads and replaces sealed values, for re-sealing them under a new master secret. */
export interface SealedValueStore {
  /** Up to `limit` rows' sealed values of `column` in key order, after the row `after` (from the start when null); rows without a value (null, or '' where a sent mail's body was erased) are skipped. */
  page(column: SealedColumn, after: string | null, limit: number): Promise<SealedValue[]>;
  /** One row's sealed value now; null when the row is gone or holds none. */
  get(column: SealedColumn, key: string): Promise<string | null>;
  /** Replaces one row's sealed value with `next` if it still is `previous`; false when the row changed or went meanwhile. */
  replace(column: SealedColumn, key: string, previous: string, next: string): Promise<boolean>;
}
