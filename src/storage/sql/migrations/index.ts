import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './001_initial.js';
import { mail } from './002_mail.js';
import { mfa } from './003_mfa.js';

/** Migrations live in code (not files on disk) so the compiled package carries them. Append only. */
const MIGRATIONS: Record<string, Migration> = {
  '001_initial': initial,
  '002_mail': mail,
  '003_mfa': mfa,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
