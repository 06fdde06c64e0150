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

export interface Database {
  apps: AppsTable;
  users: UsersTable;
  user_emails: UserEmailsTable;
  signing_keys: SigningKeysTable;
  sessions: SessionsTable;
  session_credentials: SessionCredentialsTable;
  permissions: PermissionsTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  permission_grants: PermissionGrantsTable;
  role_grants: RoleGrantsTable;
  mail_outbox: MailOutboxTable;
  mfa_totp: MfaTotpTable;
  mfa_totp_pending: MfaTotpPendingTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
}
