import type { App, NewUser } from '../../src/identity/types.js';
import type { Session, SessionCredential } from '../../src/session/types.js';
import { newId } from '../../src/shared/ids.js';
import { migrateToLatest, openStore, type Store } from '../../src/storage/sql/database.js';
import { type Repositories, sqlRepositories } from '../../src/storage/sql/repositories/index.js';
import type { Backend } from '../helpers/backends.js';

/** A fixed instant, so every time in these suites is explicit. */
export const T0 = Date.UTC(2026, 0, 1);

export interface Fixture {
  backend: Backend;
  url: string;
  store: Store;
  repos: Repositories;
}

/**
 * Runs `fn` against a fresh, migrated database of `backend`, then closes the store and
 * drops the database whatever happened.
 */
export async function withStore(
  backend: Backend,
  fn: (fixture: Fixture) => Promise<void>,
  options: { poolSize?: number } = {},
): Promise<void> {
  const { url, cleanup } = await backend.create();
  try {
    const store = openStore(url, options);
    try {
      await migrateToLatest(store.db);
      await fn({ backend, url, store, repos: sqlRepositories(store) });
    } finally {
      await store.close();
    }
  } finally {
    await cleanup();
  }
}

export async function createApp(repos: Repositories, owner = 'acme', name = `app-${newId()}`): Promise<App> {
  const app: App = { id: newId(), owner, name, createdAt: T0 };
  await repos.apps.create(app);
  return app;
}

export function newUser(appId: string, overrides: Partial<NewUser> = {}): NewUser {
  return {
    appId,
    username: null,
    fullName: null,
    picture: null,
    passwordHash: null,
    isActive: true,
    emails: [],
    ...overrides,
  };
}

export function primary(address: string, isVerified = false) {
  return { address, isVerified, isPrimary: true };
}

export function secondary(address: string, isVerified = false) {
  return { address, isVerified, isPrimary: false };
}

export function newSession(
  appId: string,
  userId: string,
  overrides: Partial<Session> = {},
): { session: Session; credential: SessionCredential } {
  const session: Session = {
    id: newId(),
    appId,
    userId,
    kind: 'rpc',
    createdAt: T0,
    expiresAt: T0 + 3600_000,
    revokedAt: null,
    revokeReason: null,
    clientIp: null,
    userAgent: null,
    data: {},
    ...overrides,
  };
  return { session, credential: newCredential(session.id) };
}

export function newCredential(
  sessionId: string,
  overrides: Partial<SessionCredential> = {},
): SessionCredential {
  return {
    id: newId(),
    sessionId,
    secretHash: null,
    createdAt: T0,
    rotatedAt: null,
    successorId: null,
    successorSealed: null,
    graceUntil: null,
    ...overrides,
  };
}

/** The rejection of `promise`, failing when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
