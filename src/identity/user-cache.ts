import { LRUCache } from 'lru-cache';
import { deepFreeze } from '../shared/freeze.js';
import type { UserRepository } from './ports.js';
import type { NewUser, User, UserListQuery, UserPatch, UserUpdateCondition } from './types.js';

/**
 * A small per-process cache in front of user lookups by id, the read behind every
 * authenticated "who am I" request. Writes through this process evict at once; a
 * change made by another process (CLI, another node) is seen within `ttlMs`.
 * Security decisions never depend on it: revocation lives in the session layer.
 */
export class CachedUserRepository implements UserRepository {
  private readonly byId: LRUCache<string, User>;
  /** Told after every write, so other nodes can evict their copies. */
  onChange: (appId: string, id: string) => void = () => {};

  constructor(
    private readonly inner: UserRepository,
    options: { max?: number; ttlMs?: number } = {},
  ) {
    this.byId = new LRUCache({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 5000 });
  }

  private key(appId: string, id: string): string {
    return `${appId}:${id}`;
  }

  /** Forget a user (another process told us it changed). */
  evict(appId: string, id: string): void {
    this.byId.delete(this.key(appId, id));
  }

  create(user: NewUser, now: number): Promise<User> {
    return this.inner.create(user, now);
  }

  peekById(appId: string, id: string): User | undefined {
    return this.byId.get(this.key(appId, id));
  }

  async findById(appId: string, id: string): Promise<User | null> {
    const key = this.key(appId, id);
    const cached = this.byId.get(key);
    if (cached) return cached;
    // Frozen: every caller gets this one object (and the token check's answer is kept per
    // object), so none may change it; a changed user is a new object after eviction.
    const user = await this.inner.findById(appId, id);
    if (user) this.byId.set(key, deepFreeze(user));
    return user;
  }

  findByLogin(appId: string, login: string): Promise<User | null> {
    // Sign-in always reads the store: it must see a password change made anywhere.
    return this.inner.findByLogin(appId, login);
  }

  findByUsernameKey(appId: string, key: string): Promise<User | null> {
    // Sign-in reads the store, as above.
    return this.inner.findByUsernameKey(appId, key);
  }

  async update(
    appId: string,
    id: string,
    patch: UserPatch,
    now: number,
    only?: UserUpdateCondition,
  ): Promise<User | null> {
    this.evict(appId, id);
    const user = await this.inner.update(appId, id, patch, now, only);
    this.evict(appId, id);
    this.onChange(appId, id);
    return user;
  }

  async releaseUnverifiedEmail(
    appId: string,
    addressKey: string,
    exceptUserId: string | null,
  ): Promise<string | null> {
    const from = await this.inner.releaseUnverifiedEmail(appId, addressKey, exceptUserId);
    if (from !== null) {
      this.evict(appId, from);
      this.onChange(appId, from);
    }
    return from;
  }

  async delete(appId: string, id: string): Promise<boolean> {
    this.evict(appId, id);
    const deleted = await this.inner.delete(appId, id);
    this.evict(appId, id);
    this.onChange(appId, id);
    return deleted;
  }

  list(appId: string, query: UserListQuery): Promise<User[]> {
    return this.inner.list(appId, query);
  }

  count(appId: string): Promise<number> {
    return this.inner.count(appId);
  }
}
