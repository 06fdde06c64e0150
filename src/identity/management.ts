import type { MailService } from '../mail/index.js';
import type { Clock } from '../shared/clock.js';
import type { DeferredWork } from '../shared/deferred-work.js';
import type { AttemptLimiter } from '../throttle/index.js';
import { Throttle } from '../throttle/index.js';
import { type OneTimeTokenRepository, OneTimeTokens } from '../tokens/one-time.js';
import { AccessControl } from './access-control.js';
import type { AccessRepository, OrgDirectory } from './access-ports.js';
import { AccountService, accountLinks } from './account.js';
import type { Authorization } from './authorization.js';
import { InvitationService } from './invitations.js';
import { OrgManagement } from './org-management.js';
import type { OrgRepository } from './orgs.js';
import type { PermissionRepository, UserRepository } from './ports.js';
import { UserDirectory } from './user-directory.js';
import type { UserService } from './users.js';

/** Identity management: orgs, permissions and roles, users as others may read them, the account life-cycle, invitations. */
export interface IdentityManagement {
  orgs: OrgManagement;
  access: AccessControl;
  directory: UserDirectory;
  account: AccountService;
  invitations: InvitationService;
  oneTimeTokens: OneTimeTokens;
}

export interface IdentityManagementDeps {
  repos: {
    orgs: OrgRepository;
    orgDirectory: OrgDirectory;
    permissions: AccessRepository & PermissionRepository;
    oneTimeTokens: OneTimeTokenRepository;
  };
  users: UserRepository;
  userService: UserService;
  authz: Authorization;
  mail: Pick<MailService, 'enqueue'>;
  limiter: AttemptLimiter;
  /** How per-address counters key a client (IPv6 by its prefix). */
  throttleOptions: { ipv6PrefixLength: number };
  clock: Clock;
  /** Where work that depends on whether an account exists runs (a reset mail). */
  deferred: DeferredWork;
  /** Failures of work done after the answer (a reset mail). */
  onError?: (err: unknown, context: string) => void;
  settings: {
    publicUrl: string;
    appName: string;
    usernamesEnabled: boolean;
    orgCreationOpen: boolean;
  };
}

export function createIdentityManagement(deps: IdentityManagementDeps): IdentityManagement {
  const { repos, clock, settings } = deps;
  const links = accountLinks(settings.publicUrl);
  const oneTimeTokens = new OneTimeTokens(repos.oneTimeTokens, clock);
  const orgs = new OrgManagement(
    repos.orgs,
    repos.orgDirectory,
    repos.permissions,
    repos.permissions,
    deps.users,
    clock,
    { creationOpen: settings.orgCreationOpen },
  );
  const account = new AccountService(
    deps.userService,
    deps.users,
    oneTimeTokens,
    deps.mail,
    new Throttle(deps.limiter, 'account', deps.throttleOptions),
    clock,
    { appName: settings.appName, links },
    deps.deferred,
  );
  if (deps.onError) account.onError = deps.onError;
  const access = new AccessControl(repos.permissions, repos.orgs, repos.orgDirectory, deps.users, clock);
  return {
    orgs,
    access,
    directory: new UserDirectory(deps.users, orgs, deps.authz, access, clock),
    account,
    invitations: new InvitationService(
      orgs,
      repos.orgDirectory,
      repos.permissions,
      deps.userService,
      deps.users,
      oneTimeTokens,
      deps.mail,
      clock,
      { appName: settings.appName, links, usernamesEnabled: settings.usernamesEnabled },
    ),
    oneTimeTokens,
  };
}
