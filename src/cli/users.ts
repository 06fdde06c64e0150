import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { ADMIN_ROLE } from '../identity/system-permissions.js';
import { primaryEmail } from '../identity/types.js';
import type { Services } from '../services.js';
import { LatchkeyError } from '../shared/errors.js';
import { createAppLogin } from './apps.js';
import { isoOrDash, printTable, withServices } from './context.js';
import { checkNewUserFields, type NewUserOptions } from './new-user.js';
import { readPassword } from './password-input.js';

async function findUser(services: Services, key: string) {
  const app = services.defaultApp.id;
  const user = /^[0-9a-f]{24}$/.test(key)
    ? await services.repos.users.findById(app, key)
    : await services.users.findByLogin(app, key);
  if (!user) throw new LatchkeyError('user_not_found', `no user '${key}'`);
  return user;
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('Manage users of the default app');

  user
    .command('create')
    .description('Create a user (leave --password out to type it unseen, or pipe it on standard input)')
    .option('--email <email>', 'primary email address, marked verified (required)')
    .option('--password <password>', 'password (8–1024 characters); better left out: it is then prompted for')
    .option('--username <username>', 'username (required when usernames are enabled)')
    .option('--full-name <name>', 'full name')
    .option('--superuser', 'grant the global admin role', false)
    .option('--app <owner/app>', 'create a login of this apps-dialect app instead (--username is the login)')
    .action(async (opts: NewUserOptions) => {
      const config = loadConfig();
      const { email, username } = checkNewUserFields(opts, config.usernamesEnabled);
      const password = opts.password ?? (await readPassword('Password for the new user: '));
      await withServices(async (services) => {
        if (opts.app) return createAppLogin(services, { ...opts, email, password, app: opts.app });
        const created = await services.users.create(services.defaultApp.id, {
          username: username ?? null,
          password,
          fullName: opts.fullName ?? null,
          emails: [{ address: email, isPrimary: true, isVerified: true }],
        });
        if (opts.superuser) {
          await services.repos.permissions.grantRoleByName(
            services.defaultApp.id,
            created.id,
            ADMIN_ROLE,
            '',
            services.clock.now(),
          );
        }
        process.stdout.write(`created user ${created.id}${opts.superuser ? ' (superuser)' : ''}\n`);
      }, config);
    });

  user
    .command('list')
    .description('List users')
    .option('--limit <n>', 'how many', '100')
    .action(async (opts: { limit: string }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new LatchkeyError('invalid_input', '--limit must be a positive integer');
      await withServices(async (services) => {
        const users = await services.users.list(services.defaultApp.id, { limit });
        printTable(
          users.map((u) => ({
            id: u.id,
            username: u.username,
            email: primaryEmail(u),
            created: isoOrDash(u.createdAt),
            deactivated: isoOrDash(u.deactivatedAt),
          })),
        );
      });
    });

  user
    .command('deactivate')
    .description('Deactivate a user (by id, username or email) and end their sessions')
    .argument('<user>', 'id, username or email')
    .action(async (key: string) => {
      await withServices(async (services) => {
        const found = await findUser(services, key);
        await services.users.deactivate(services.defaultApp.id, found.id, { context: undefined });
        process.stdout.write(`deactivated user ${found.id}\n`);
      });
    });

  user
    .command('activate')
    .description('Activate a user (by id, username or email)')
    .argument('<user>', 'id, username or email')
    .action(async (key: string) => {
      await withServices(async (services) => {
        const found = await findUser(services, key);
        await services.users.activate(services.defaultApp.id, found.id);
        process.stdout.write(`activated user ${found.id}\n`);
      });
    });
}
