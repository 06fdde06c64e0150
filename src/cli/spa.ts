import type { Command } from 'commander';
import type { User } from '../identity/types.js';
import type { Services } from '../services.js';
import { LatchkeyError } from '../shared/errors.js';
import { isoOrDash, printTable, withServices } from './context.js';

/** A user of the default app by id, username or email. */
async function findUser(services: Services, key: string): Promise<User> {
  const app = services.defaultApp.id;
  const user = /^[0-9a-f]{24}$/.test(key)
    ? await services.repos.users.findById(app, key)
    : await services.users.findByLogin(app, key);
  if (!user) throw new LatchkeyError('user_not_found', `no user '${key}'`);
  return user;
}

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new LatchkeyError('invalid_input', `${flag} must be a positive integer`);
  return n;
}

async function listFilter(services: Services, opts: { user?: string; survey?: string; limit: string }) {
  return {
    limit: positiveInteger(opts.limit, '--limit'),
    ...(opts.user ? { userId: (await findUser(services, opts.user)).id } : {}),
    ...(opts.survey ? { surveyId: opts.survey } : {}),
  };
}

/** `alias` and `login-link`: the spa dialect's survey aliases and login-link tokens, for the default app. */
export function registerSpaCommands(program: Command): void {
  const alias = program.command('alias').description('Survey aliases: a user name per survey (spa dialect)');

  alias
    .command('create')
    .description('Give a user a user name in one survey')
    .requiredOption('--user <user>', 'the user: id, username or email')
    .requiredOption('--survey <surveyId>', 'the survey id')
    .requiredOption('--name <userName>', 'the user name in that survey')
    .action(async (opts: { user: string; survey: string; name: string }) => {
      await withServices(async (services) => {
        const user = await findUser(services, opts.user);
        const created = await services.spa.aliases.create(services.defaultApp.id, {
          userId: user.id,
          surveyId: opts.survey,
          userName: opts.name,
        });
        process.stdout.write(
          `created alias ${created.id}: '${created.userName}' in survey ${created.surveyId}\n`,
        );
      });
    });

  alias
    .command('list')
    .description('List survey aliases')
    .option('--user <user>', 'only this user’s (id, username or email)')
    .option('--survey <surveyId>', 'only this survey’s')
    .option('--limit <n>', 'how many', '100')
    .action(async (opts: { user?: string; survey?: string; limit: string }) => {
      await withServices(async (services) => {
        const aliases = await services.spa.aliases.list(
          services.defaultApp.id,
          await listFilter(services, opts),
        );
        printTable(
          aliases.map((a) => ({
            id: a.id,
            survey: a.surveyId,
            userName: a.userName,
            user: a.userId,
            created: isoOrDash(a.createdAt),
          })),
        );
      });
    });

  alias
    .command('remove')
    .description('Remove a survey alias')
    .argument('<id>', 'the alias id')
    .action(async (id: string) => {
      await withServices(async (services) => {
        await services.spa.aliases.remove(services.defaultApp.id, id);
        process.stdout.write(`removed alias ${id}\n`);
      });
    });

  const link = program
    .command('login-link')
    .description('Login-link tokens: sign a user in without a password (spa dialect)');

  link
    .command('create')
    .description('Create a login link; its secret is printed this once and stored only hashed')
    .requiredOption('--user <user>', 'the user: id, username or email')
    .option('--survey <surveyId>', 'bind it to one survey')
    .option('--expires-in <seconds>', 'expire after this many seconds (default: never)')
    .action(async (opts: { user: string; survey?: string; expiresIn?: string }) => {
      await withServices(async (services) => {
        const user = await findUser(services, opts.user);
        const seconds = opts.expiresIn === undefined ? null : positiveInteger(opts.expiresIn, '--expires-in');
        const { link: created, token } = await services.spa.loginLinks.create(services.defaultApp.id, {
          userId: user.id,
          surveyId: opts.survey ?? null,
          expiresAt: seconds === null ? null : services.clock.now() + seconds * 1000,
        });
        process.stdout.write(
          `created login link ${created.id}${created.surveyId ? ` for survey ${created.surveyId}` : ''}` +
            `${created.expiresAt ? `, expires ${isoOrDash(created.expiresAt)}` : ''}\n` +
            `token (shown once, not stored): ${token}\n`,
        );
      });
    });

  link
    .command('list')
    .description('List login links (never their secrets)')
    .option('--user <user>', 'only this user’s (id, username or email)')
    .option('--survey <surveyId>', 'only this survey’s')
    .option('--limit <n>', 'how many', '100')
    .action(async (opts: { user?: string; survey?: string; limit: string }) => {
      await withServices(async (services) => {
        const now = services.clock.now();
        const links = await services.spa.loginLinks.list(
          services.defaultApp.id,
          await listFilter(services, opts),
        );
        printTable(
          links.map((l) => ({
            id: l.id,
            user: l.userId,
            survey: l.surveyId,
            status:
              l.revokedAt !== null
                ? 'revoked'
                : l.expiresAt !== null && l.expiresAt <= now
                  ? 'expired'
                  : 'active',
            created: isoOrDash(l.createdAt),
            expires: isoOrDash(l.expiresAt),
            lastUsed: isoOrDash(l.lastUsedAt),
          })),
        );
      });
    });

  link
    .command('revoke')
    .description('Revoke a login link')
    .argument('<id>', 'the login link id')
    .action(async (id: string) => {
      await withServices(async (services) => {
        await services.spa.loginLinks.revoke(services.defaultApp.id, id);
        process.stdout.write(`revoked login link ${id}\n`);
      });
    });
}
