import type { OrgDirectory } from '../../../identity/access-ports.js';
import type { OrgRepository } from '../../../identity/orgs.js';
import type { Store } from '../database.js';
import { SqlActivationTokenRepository } from './activation-tokens.js';
import { SqlEmailCodeRepository } from './app-email-codes.js';
import { SqlProfileRepository } from './app-profiles.js';
import { SqlTenantRepository } from './app-tenants.js';
import { SqlAppRepository } from './apps.js';
import { SqlAuditRepository } from './audit.js';
import { SqlConsumedTokenRepository } from './consumed-tokens.js';
import { SqlIntegrationRepository } from './integrations.js';
import { SqlKeyRepository } from './keys.js';
import { SqlOutboxRepository } from './mail.js';
import { SqlMfaRepository } from './mfa.js';
import { SqlOneTimeTokenRepository } from './one-time-tokens.js';
import { SqlOrgDirectory } from './org-directory.js';
import { SqlOrgRepository } from './orgs.js';
import { SqlPermissionRepository } from './permissions.js';
import { SqlSealedValueStore } from './sealed-values.js';
import { SqlSessionRepository } from './sessions.js';
import { SqlAliasRepository } from './spa-aliases.js';
import { SqlLoginLinkRepository } from './spa-login-links.js';
import { SqlUserRepository } from './users.js';

export interface Repositories {
  apps: SqlAppRepository;
  users: SqlUserRepository;
  permissions: SqlPermissionRepository;
  keys: SqlKeyRepository;
  sessions: SqlSessionRepository;
  outbox: SqlOutboxRepository;
  mfa: SqlMfaRepository;
  orgs: OrgRepository;
  /** Org administration (search, expiring memberships with their grants) over the same tables as `orgs`. */
  orgDirectory: OrgDirectory;
  oneTimeTokens: SqlOneTimeTokenRepository;
  integrations: SqlIntegrationRepository;
  activationTokens: SqlActivationTokenRepository;
  audit: SqlAuditRepository;
  appProfiles: SqlProfileRepository;
  appEmailCodes: SqlEmailCodeRepository;
  appTenants: SqlTenantRepository;
  /** spa: survey aliases, login links, and the used ids of one-time signed tokens. */
  aliases: SqlAliasRepository;
  loginLinks: SqlLoginLinkRepository;
  consumedTokens: SqlConsumedTokenRepository;
  /** Every column sealed under the master secret, for re-sealing after a rotation. */
  sealedValues: SqlSealedValueStore;
}

export function sqlRepositories(store: Store): Repositories {
  return {
    apps: new SqlAppRepository(store.db),
    users: new SqlUserRepository(store.db),
    permissions: new SqlPermissionRepository(store.db),
    keys: new SqlKeyRepository(store.db),
    sessions: new SqlSessionRepository(store.db, store.kind),
    outbox: new SqlOutboxRepository(store.db),
    mfa: new SqlMfaRepository(store.db),
    orgs: new SqlOrgRepository(store.db),
    orgDirectory: new SqlOrgDirectory(store.db),
    oneTimeTokens: new SqlOneTimeTokenRepository(store.db),
    integrations: new SqlIntegrationRepository(store.db),
    activationTokens: new SqlActivationTokenRepository(store.db),
    audit: new SqlAuditRepository(store.db),
    appProfiles: new SqlProfileRepository(store.db),
    appEmailCodes: new SqlEmailCodeRepository(store.db),
    appTenants: new SqlTenantRepository(store.db),
    aliases: new SqlAliasRepository(store.db),
    loginLinks: new SqlLoginLinkRepository(store.db),
    consumedTokens: new SqlConsumedTokenRepository(store.db),
    sealedValues: new SqlSealedValueStore(store.db),
  };
}
