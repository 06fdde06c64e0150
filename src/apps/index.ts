import type { AppService } from '../identity/apps.js';
import type { PasswordHasher } from '../identity/passwords.js';
import type { UserRepository } from '../identity/ports.js';
import type { SignInService } from '../identity/sign-in.js';
import type { App } from '../identity/types.js';
import type { UserService } from '../identity/users.js';
import type { MfaService } from '../mfa/index.js';
import type { SessionService } from '../session/index.js';
import type { Clock } from '../shared/clock.js';
import type { MasterSecrets } from '../shared/master-secrets.js';
import type { Throttle } from '../throttle/index.js';
import type { TokenService } from '../tokens/jwt.js';
import { AppDirectory } from './directory.js';
import { type CodeMailer, EmailCodeService } from './email-codes.js';
import { AppMfaService } from './mfa.js';
import type { EmailCodeRepository, ProfileRepository, TenantRepository } from './ports.js';
import { ProvisioningWorker } from './provisioning.js';
import { AppLoginService } from './service.js';
import { TenancyService } from './tenancy.js';

export { AppDirectory } from './directory.js';
export { EMAIL_CODE_TTL_SECONDS, EmailCodeService, VERIFIED_EMAIL_TTL_SECONDS } from './email-codes.js';
export { checkLogin, isValidLogin, LOGIN_MAX_LENGTH, newDeviceCredentials } from './logins.js';
export { AppMfaService, type AppTotpEnrollment, TOTP_NOT_ENROLLED } from './mfa.js';
export * from './policies.js';
export type { EmailCodeRepository, ProfileRepository, TenantRepository } from './ports.js';
export { type IssuedPrincipal, PRINCIPAL_KIND, type PrincipalData } from './principal.js';
export { type ProfileProvisioner, ProvisioningWorker, type ProvisionRequest } from './provisioning.js';
export { AppLoginService, type NewLogin } from './service.js';
export { type AppSummary, TenancyService } from './tenancy.js';
export * from './types.js';
export * from './wsid.js';

export interface AppsCoreDeps {
  users: UserRepository;
  userService: UserService;
  /** A SignInService whose throttle has the `apps-signin` scope. */
  signIn: SignInService;
  /** The core's second factors (TOTP, recovery codes), shared with every dialect. */
  mfa: MfaService;
  /** The `apps` throttle scope. */
  throttle: Throttle;
  hasher: PasswordHasher;
  apps: AppService;
  defaultApp: App;
  profiles: ProfileRepository;
  emailCodes: EmailCodeRepository;
  tenants: TenantRepository;
  sessions: SessionService;
  tokens: TokenService;
  mail: CodeMailer;
  clock: Clock;
  masterSecrets: MasterSecrets;
  tokenTtlSeconds: number;
  /** Defaults: poll every second, 60 s leases. */
  provisioning?: { pollMs?: number; leaseMs?: number };
}

/** The apps dialect's core: tenants, app logins, profile workspaces and their background provisioning. */
export interface AppsCore {
  directory: AppDirectory;
  logins: AppLoginService;
  /** A login managing its own second factor with its principal token. */
  mfa: AppMfaService;
  emailCodes: EmailCodeService;
  tenancy: TenancyService;
  worker: ProvisioningWorker;
}

export function createAppsCore(deps: AppsCoreDeps): AppsCore {
  const directory = new AppDirectory(deps.apps, deps.defaultApp);
  const worker = new ProvisioningWorker(deps.profiles, deps.clock, {
    pollMs: deps.provisioning?.pollMs ?? 1000,
    leaseMs: deps.provisioning?.leaseMs ?? 60_000,
  });
  const emailCodes = new EmailCodeService(
    deps.emailCodes,
    deps.mail,
    deps.throttle,
    deps.tokens,
    deps.clock,
    deps.masterSecrets,
  );
  const logins = new AppLoginService({
    users: deps.users,
    userService: deps.userService,
    signIn: deps.signIn,
    hasher: deps.hasher,
    profiles: deps.profiles,
    worker,
    emailCodes,
    sessions: deps.sessions,
    tokens: deps.tokens,
    throttle: deps.throttle,
    clock: deps.clock,
    tokenTtlSeconds: deps.tokenTtlSeconds,
  });
  const mfa = new AppMfaService({
    authenticate: (app, token) => logins.authenticate(app, token),
    users: deps.users,
    mfa: deps.mfa,
    signIn: deps.signIn,
    clock: deps.clock,
  });
  const tenancy = new TenancyService(
    deps.apps,
    deps.defaultApp,
    directory,
    deps.tenants,
    deps.profiles,
    deps.users,
    deps.sessions,
    worker,
    deps.clock,
  );
  return { directory, logins, mfa, emailCodes, tenancy, worker };
}
