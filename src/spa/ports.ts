import type { Alias, AliasQuery, LoginLink, LoginLinkQuery } from './types.js';

export interface AliasRepository {
  /** Inserts an alias; false when the survey already has the name or the user already has a name there. */
  create(alias: Alias, userNameKey: string): Promise<boolean>;
  find(appId: string, surveyId: string, userNameKey: string): Promise<Alias | null>;
  findById(appId: string, id: string): Promise<Alias | null>;
  list(appId: string, query: AliasQuery): Promise<Alias[]>;
  remove(appId: string, id: string): Promise<boolean>;
}

export interface LoginLinkRepository {
  create(link: LoginLink, tokenHash: string): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<LoginLink | null>;
  findById(appId: string, id: string): Promise<LoginLink | null>;
  list(appId: string, query: LoginLinkQuery): Promise<LoginLink[]>;
  /** Revokes a live link; the link as it is afterwards, or null when there is none. Idempotent. */
  revoke(appId: string, id: string, at: number): Promise<LoginLink | null>;
  /** Records a use (for operators: when was this link last used?). */
  touch(id: string, at: number): Promise<void>;
}
