/**
 * The tables as Kysely sees them. Times are integer milliseconds since the epoch
 * and booleans are 0/1 integers, so SQLite and PostgreSQL share one code path.
 */
export interface AppsTable {
  id: string;
  owner: string;
  name: string;
  created_at: number;
}

export interface UsersTable {
  id: string;
  app_id: string;
  username: string | null;
  /** Lowercased username; unique per app. */
  username_key: string | null;
  full_name: string | null;
  picture: string | null;
  password_hash: string | null;
  /** 0 while the account waits for activation. */
  is_active: number;
  deactivated_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface UserEmailsTable {
  id: string;
  app_id: string;
  user_id: string;
  address: string;
  /** Lowercased address; unique per app. */
  address_key: string;
  is_verified: number;
  is_primary: number;
  created_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** The private key as PKCS#8 PEM, sealed under the master secret. */
  private_sealed: string;
  created_at: number;
  /** When it stopped signing (a newer key took over); null while current. */
  retired_at: number | null;
  /** Tokens it signed are accepted until then; null while current. */
  verify_until: number | null;
}

export interface SessionsTable {
  id: string;
  app_id: string;
  user_id: string;
  /** Which dialect created it (rpc, spa, apps, feathers). */
  kind: string;
  created_at: number;
  /** Absolute end; refresh never moves it. */
  expires_at: number;
  /** When set, the session is over from that moment on (may be in the future for scheduled deactivation). */
  revoked_at: number | null;
  revoke_reason: string | null;
  client_ip: string | null;
  user_agent: string | null;
  /** Dialect data carried across refreshes (e.g. the rpc projection), JSON. */
  data: string;
}

export interface SessionCredentialsTable {
  /** The credential id: the JWT `jti`, or the `<id>` of an opaque `<id>.<secret>` token. */
  id: string;
  session_id: string;
  /** SHA-256 of the opaque secret; null for signed (JWT) credentials. */
  secret_hash: string | null;
  created_at: number;
  rotated_at: number | null;
  successor_id: string | null;
  /** The successor credential sealed, kept only for the grace window so concurrent refreshes agree. */
  successor_sealed: string | null;
  grace_until: number | null;
}

export interface PermissionsTable {
  id: string;
  app_id: string;
  name: string;
  description: string | null;
  scope_org_id: string | null;
  is_system: number;
  created_at: number;
  updated_at: number;
}

export interface RolesTable {
  id: string;
  app_id: string;
  name: string;
  description: string | null;
  scope_org_id: string | null;
  is_system: number;
  created_at: number;
  updated_at: number;
}

export interface RolePermissionsTable {
  role_id: string;
  permission_id: string;
}

export interface PermissionGrantsTable {
  id: string;
  app_id: string;
  user_id: string;
  permission_id: string;
  /** '' for a global grant: an empty string instead of NULL keeps the unique index exact on both stores. */
  org_id: string;
  resource_id: string;
  created_at: number;
}

export interface RoleGrantsTable {
  id: string;
  app_id: string;
  user_id: string;
  role_id: string;
  /** '' for a global grant. */
  org_id: string;
  resource_id: string;
  created_at: number;
}

export interface MailOutboxTable {
  id: string;
  app_id: string;
  to_address: string;
  template: string;
  payload_sealed: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  /** A sender claimed it until then (another node skips it). */
  locked_until: number | null;
  sent_at: number | null;
  last_error: string | null;
}

export interface MfaTotpTable {
  user_id: string;
  app_id: string;
  secret_sealed: string;
  created_at: number;
  last_step: number | null;
}

export interface MfaTotpPendingTable {
  user_id: string;
  app_id: string;
  secret_sealed: string;
  expires_at: number;
}

export interface MfaRecoveryCodesTable {
  id: string;
  app_id: string;
  user_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface AuditEventsTable {
  id: string;
  app_id: string | null;
  user_id: string | null;
  type: string;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  dialect: string | null;
  /** Secret-free facts, JSON. */
  details: string;
  at: number;
}

/** An organisation of an app; the feathers dialect finds or creates one per email domain. */
export interface OrgsTable {
  id: string;
  app_id: string;
  name: string;
  /** URL-safe name, unique per app. */
  slug: string;
  /** Lowercased email domain the org stands for (unique per app); null for orgs made by hand. */
  domain: string | null;
  created_at: number;
  updated_at: number;
}

export interface OrgMembershipsTable {
  org_id: string;
  user_id: string;
  created_at: number;
  /** Added by 007_identity: the membership ends then (org.addMember's expiresInSeconds); null for good. */
  expires_at?: number | null;
}

/** Services a user has enabled (the feathers dialect's `integrations`), managed through the admin API. */
export interface UserIntegrationsTable {
  id: string;
  app_id: string;
  user_id: string;
  name: string;
  created_at: number;
}

/** One-time activation links: only the SHA-256 of the secret is stored. */
export interface ActivationTokensTable {
  id: string;
  app_id: string;
  user_id: string;
  /** The address the link was sent to; using the link verifies it. */
  email: string;
  token_hash: string;
  /** The password hash of the sign-up that sent the link (null in links from before migration 009). */
  password_hash: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** The profile workspace of an apps-dialect login. */
export interface AppProfilesTable {
  user_id: string;
  app_id: string;
  login: string;
  /** 1 user, 2 device. */
  subject_kind: number;
  /** The profileWSID; null until provisioning allocates it. */
  wsid: number | null;
  /** pending, ready or failed. */
  status: string;
  error: string | null;
  created_at: number;
  updated_at: number;
}

/** Per-app sequence of profile WSID bases. */
export interface AppWsidCountersTable {
  app_id: string;
  next_base: number;
}

/** Durable background jobs of the apps dialect (profile provisioning). */
export interface AppJobsTable {
  id: string;
  app_id: string;
  user_id: string;
  kind: string;
  /** pending, running, done or failed. */
  status: string;
  attempts: number;
  run_after: number;
  /** The claiming worker's lease; past it the job may be taken over. */
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** Mailed 6-digit codes of the apps dialect's email verification; only an HMAC of each is kept. */
export interface AppEmailCodesTable {
  id: string;
  app_id: string;
  email: string;
  code_hash: string;
  attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

/**
 * Password-reset, email-verification and invitation tokens (007_identity). Only the
 * SHA-256 of the secret is stored; using one deletes the row (whoever deletes it wins).
 */
export interface OneTimeTokensTable {
  id: string;
  app_id: string;
  /** password_reset, email_verification or invitation. */
  kind: string;
  token_hash: string;
  user_id: string | null;
  org_id: string | null;
  /** The address the token was mailed to; for invitations of new users, their address. */
  email: string | null;
  /** Lowercased `email`, for lookups. */
  email_key: string | null;
  /** Kind-specific facts (an invitation's permissions and roles), JSON. */
  payload: string;
  created_by: string | null;
  created_at: number;
  expires_at: number;
}

/** A survey alias of the spa dialect (006_spa): a user name that signs in for one survey only. */
export interface SpaAliasesTable {
  id: string;
  app_id: string;
  user_id: string;
  survey_id: string;
  user_name: string;
  /** Lowercased user_name; unique per app and survey. */
  user_name_key: string;
  created_at: number;
}

/** A login-link token of the spa dialect (006_spa); only the SHA-256 of its secret is stored. */
export interface SpaLoginLinksTable {
  id: string;
  app_id: string;
  user_id: string;
  survey_id: string | null;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** Ids (`<kind>:<jti>`) of signed one-time tokens already used (006_spa). */
export interface ConsumedTokensTable {
  id: string;
  expires_at: number;
}

/** The revocation of a session whose row was deleted with its user or app, kept until its tokens expired. */
export interface RevokedSessionTombstonesTable {
  session_id: string;
  revoked_at: number;
  expires_at: number;
}

export interface Database {
  apps: AppsTable;
  users: UsersTable;
  user_emails: UserEmailsTable;
  signing_keys: SigningKeysTable;
  sessions: SessionsTable;
  revoked_session_tombstones: RevokedSessionTombstonesTable;
  session_credentials: SessionCredentialsTable;
  permissions: PermissionsTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  permission_grants: PermissionGrantsTable;
  role_grants: RoleGrantsTable;
  mail_outbox: MailOutboxTable;
  orgs: OrgsTable;
  org_memberships: OrgMembershipsTable;
  user_integrations: UserIntegrationsTable;
  activation_tokens: ActivationTokensTable;
  mfa_totp: MfaTotpTable;
  mfa_totp_pending: MfaTotpPendingTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  audit_events: AuditEventsTable;
  app_profiles: AppProfilesTable;
  app_wsid_counters: AppWsidCountersTable;
  app_jobs: AppJobsTable;
  app_email_codes: AppEmailCodesTable;
  one_time_tokens: OneTimeTokensTable;
  spa_aliases: SpaAliasesTable;
  spa_login_links: SpaLoginLinksTable;
  consumed_tokens: ConsumedTokensTable;
}
