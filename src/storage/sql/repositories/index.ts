import type { Store } from '../database.js';
import { SqlAppRepository } from './apps.js';
import { SqlKeyRepository } from './keys.js';
import { SqlOutboxRepository } from './mail.js';
import { SqlMfaRepository } from './mfa.js';
import { SqlPermissionRepository } from './permissions.js';
import { SqlSessionRepository } from './sessions.js';
import { SqlUserRepository } from './users.js';

export interface Repositories {
  apps: SqlAppRepository;
  users: SqlUserRepository;
  permissions: SqlPermissionRepository;
  keys: SqlKeyRepository;
  sessions: SqlSessionRepository;
  outbox: SqlOutboxRepository;
  mfa: SqlMfaRepository;
}

export function sqlRepositories(store: Store): Repositories {
  return {
    apps: new SqlAppRepository(store.db),
    users: new SqlUserRepository(store.db),
    permissions: new SqlPermissionRepository(store.db),
    keys: new SqlKeyRepository(store.db),
    sessions: new SqlSessionRepository(store.db),
    outbox: new SqlOutboxRepository(store.db),
    mfa: new SqlMfaRepository(store.db),
  };
}
