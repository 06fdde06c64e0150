export interface StoredTotp {
  secretSealed: string;
  lastStep: number | null;
}

export interface MfaRepository {
  findTotp(userId: string): Promise<StoredTotp | null>;
  /** Replaces any pending enrollment of the user. */
  savePending(appId: string, userId: string, secretSealed: string, expiresAt: number): Promise<void>;
  findPending(userId: string): Promise<{ secretSealed: string; expiresAt: number } | null>;
  /** Turns the pending enrollment into the user's TOTP factor; false when one exists already. */
  activate(
    appId: string,
    userId: string,
    secretSealed: string,
    acceptedStep: number,
    now: number,
  ): Promise<boolean>;
  /** Removes the TOTP factor, any pending enrollment and the recovery codes. */
  remove(userId: string): Promise<boolean>;
  /** Compare-and-swap: records `step` as used only if it is newer than every step used before. */
  consumeStep(userId: string, step: number): Promise<boolean>;
  replaceRecoveryCodes(appId: string, userId: string, codeHashes: string[], now: number): Promise<void>;
  /** Marks an unused code used; false when there is none (wrong, or used before). */
  consumeRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean>;
  countRecoveryCodes(userId: string): Promise<number>;
}
