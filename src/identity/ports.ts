import type {
  App,
  EffectivePermission,
  NewUser,
  User,
  UserListQuery,
  UserPatch,
  UserUpdateCondition,
} from './types.js';

/** Storage for apps (tenants). Implemented in storage/sql. */
export interface AppRepository {
  findByName(owner: string, name: string): Promise<App | null>;
  findById(id: string): Promise<App | null>;
  create(app: App): Promise<void>;
  list(): Promise<App[]>;
}

/** Storage for users. Unique-key violations surface as LatchkeyError duplicate_username / duplicate_email. */
export interface UserRepository {
  create(user: NewUser, now: number): Promise<User>;
  findById(appId: string, id: string): Promise<User | null>;
  /** The user if a per-process cache holds it now, without waiting; undefined means "ask findById". */
  peekById?(appId: string, id: string): User | undefined;
  /** By username (case-insensitive) or, when the key holds '@', by email (case-insensitive). */
  findByLogin(appId: string, login: string): Promise<User | null>;
  /** By the stored username key exactly as given (no case folding, no email lookup); the apps dialect's logins. */
  findByUsernameKey(appId: string, key: string): Promise<User | null>;
  /** Null when the user does not exist or (with `only`) no longer matches the condition; nothing is changed then. */
  update(
    appId: string,
    id: string,
    patch: UserPatch,
    now: number,
    only?: UserUpdateCondition,
  ): Promise<User | null>;
  /**
   * Removes the address (by its email key) from another account that holds it unverified,
   * atomically, and returns that account's id (null when no other account holds it
   * unverified). A verified holder is left alone. When the address was that account's
   * primary, its oldest remaining address becomes primary (verified ones first).
   */
  releaseUnverifiedEmail(
    appId: string,
    addressKey: string,
    exceptUserId: string | null,
  ): Promise<string | null>;
  delete(appId: string, id: string): Promise<boolean>;
  list(appId: string, query: UserListQuery): Promise<User[]>;
  count(appId: string): Promise<number>;
}

export interface PermissionRepository {
  /** Creates the system permissions and the immutable admin role of an app if missing. */
  ensureSystemObjects(appId: string, names: readonly string[], now: number): Promise<void>;
  effectivePermissions(appId: string, userId: string): Promise<EffectivePermission[]>;
  grantRoleByName(appId: string, userId: string, roleName: string, orgId: string, now: number): Promise<void>;
}
