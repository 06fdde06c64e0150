import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './001_initial.js';
import { mail } from './002_mail.js';
import { mfa } from './003_mfa.js';
import { apps } from './004_apps.js';
import { feathers } from './005_feathers.js';
import { spa } from './006_spa.js';
import { identity } from './007_identity.js';
import { audit } from './008_audit.js';
import { signupPasswords } from './009_signup_passwords.js';
import { revocationTombstones } from './010_revocation_tombstones.js';
import { emailKeys } from './011_email_keys.js';

/** Migrations live in code (not files on disk) so the compiled package carries them. Append only. */
const MIGRATIONS: Record<string, Migration> = {
  '001_initial': initial,
  '002_mail': mail,
  '003_mfa': mfa,
  '004_apps': apps,
  '005_feathers': feathers,
  '006_spa': spa,
  '007_identity': identity,
  '008_audit': audit,
  '009_signup_passwords': signupPasswords,
  '010_revocation_tombstones': revocationTombstones,
  '011_email_keys': emailKeys,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
