export interface StoredKey {
  kid: string;
  alg: string;
  publicJwk: string;
  privateSealed: string;
  createdAt: number;
  retiredAt: number | null;
  verifyUntil: number | null;
}

export interface KeyRepository {
  list(): Promise<StoredKey[]>;
  insert(key: StoredKey): Promise<void>;
  /** Retires every current key except `keepKid`: it stops signing now and verifies until `verifyUntil`. */
  retireAllExcept(keepKid: string, retiredAt: number, verifyUntil: number): Promise<void>;
}
