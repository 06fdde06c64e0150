/** A survey alias: a user name that signs its user in for one survey only. */
export interface Alias {
  id: string;
  appId: string;
  userId: string;
  surveyId: string;
  userName: string;
  createdAt: number;
}

/**
 * A login-link token: a long random secret that signs its user in without a password
 * (for one survey, when bound to one). Only the SHA-256 of the secret is stored.
 */
export interface LoginLink {
  id: string;
  appId: string;
  userId: string;
  surveyId: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface AliasQuery {
  userId?: string;
  surveyId?: string;
  /** Return aliases with an id greater than this one. */
  afterId?: string;
  limit: number;
}

export type LoginLinkQuery = AliasQuery;

/** How the first factor of an spa sign-in was shown. */
export type SpaMethod = 'password' | 'alias' | 'login-link';
