import type { Command } from 'commander';
import { SUBJECT_KIND } from '../apps/index.js';
import { appQName } from '../identity/types.js';
import type { Services } from '../services.js';
import { LatchkeyError } from '../shared/errors.js';
import { isoOrDash, printTable, withServices } from './context.js';

/**
 * `user create --app <owner>/<app>`: a login of an apps-dialect app, with the
 * reference's login rules. Its profile workspace is provisioned by a running server
 * (this one-shot command queues the job; sign-in answers 409 until it is done).
 */
export async function createAppLogin(
  services: Services,
  opts: {
    app: string;
    username?: string;
    email: string;
    password: string;
    fullName?: string;
    superuser: boolean;
  },
): Promise<void> {
  if (opts.superuser) throw new LatchkeyError('invalid_input', '--superuser applies to the default app only');
  if (!opts.username)
    throw new LatchkeyError('invalid_input', '--username (the login) is required with --app');
  const app = await services.appsCore.tenancy.get(opts.app);
  if (app.id === services.defaultApp.id) {
    throw new LatchkeyError('invalid_input', `${opts.app} is the default app; leave --app out`);
  }
  const created = await services.appsCore.logins.createLogin(app, {
    login: opts.username,
    password: opts.password,
    email: opts.email,
    fullName: opts.fullName ?? null,
    subjectKind: SUBJECT_KIND.user,
  });
  process.stdout.write(`created user ${created.id} in ${appQName(app)} (profile workspace queued)\n`);
}

export function registerAppCommands(program: Command): void {
  const app = program.command('app').description('Manage apps (tenants) of the apps dialect');

  app
    .command('create')
    .description('Create an app')
    .argument('<owner/app>', 'the app, e.g. acme/portal (lowercase)')
    .action(async (qname: string) => {
      await withServices(async (services: Services) => {
        const created = await services.appsCore.tenancy.create(qname);
        process.stdout.write(`created app ${appQName(created)} (${created.id})\n`);
      });
    });

  app
    .command('list')
    .description('List apps')
    .action(async () => {
      await withServices(async (services: Services) => {
        printTable(
          (await services.appsCore.tenancy.list()).map((a) => ({
            app: appQName(a),
            id: a.id,
            created: isoOrDash(a.createdAt),
            note: a.isDefault ? 'default (rpc)' : null,
          })),
        );
      });
    });

  app
    .command('remove')
    .description(
      'Remove an app and everything in it (users, sessions, profiles, ...); its tokens stop working',
    )
    .argument('<owner/app>', 'the app')
    .action(async (qname: string) => {
      await withServices(async (services: Services) => {
        await services.appsCore.tenancy.remove(qname);
        process.stdout.write(`removed app ${qname}\n`);
      });
    });

  app
    .command('jobs')
    .description("List an app's profile provisioning jobs")
    .argument('<owner/app>', 'the app')
    .option('--failed', 'only failed ones', false)
    .action(async (qname: string, opts: { failed: boolean }) => {
      await withServices(async (services: Services) => {
        const target = await services.appsCore.tenancy.get(qname);
        const jobs = await services.appsCore.tenancy.listJobs(target, opts.failed ? 'failed' : undefined);
        printTable(
          jobs.map((j) => ({
            id: j.id,
            login: j.login,
            status: j.status,
            attempts: j.attempts,
            error: j.lastError,
            updated: isoOrDash(j.updatedAt),
          })),
        );
      });
    });

  app
    .command('retry')
    .description('Queue a failed profile provisioning again (a running server picks it up)')
    .argument('<owner/app>', 'the app')
    .argument('<job-id>', 'the job, from `app jobs`')
    .action(async (qname: string, jobId: string) => {
      await withServices(async (services: Services) => {
        const target = await services.appsCore.tenancy.get(qname);
        const job = await services.appsCore.tenancy.retry(target, jobId);
        process.stdout.write(`queued job ${job.id} (${job.login}) again\n`);
      });
    });
}
