import type { Command } from 'commander';
import { LatchkeyError } from '../shared/errors.js';
import { isoOrDash, printTable, withServices } from './context.js';

export function registerAuditCommands(program: Command): void {
  program
    .command('audit')
    .description('List security events, newest first')
    .option('--user <id>', 'only this user')
    .option('--type <type>', 'only this event type (e.g. signin.failure)')
    .option('--since <time>', 'ISO 8601 time')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'one JSON object per line', false)
    .action(async (opts: { user?: string; type?: string; since?: string; limit: string; json: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw new LatchkeyError('invalid_input', '--limit must be between 1 and 10000');
      const since = opts.since === undefined ? undefined : Date.parse(opts.since);
      if (since !== undefined && Number.isNaN(since))
        throw new LatchkeyError('invalid_input', '--since must be an ISO 8601 time');
      await withServices(async (services) => {
        const events = await services.audit.list({
          limit,
          ...(opts.user ? { userId: opts.user } : {}),
          ...(opts.type ? { type: opts.type } : {}),
          ...(since !== undefined ? { since } : {}),
        });
        if (opts.json) {
          for (const e of events)
            process.stdout.write(`${JSON.stringify({ ...e, at: new Date(e.at).toISOString() })}\n`);
          return;
        }
        printTable(
          events.map((e) => ({
            at: isoOrDash(e.at),
            type: e.type,
            user: e.userId,
            ip: e.ip,
            dialect: e.dialect,
            details: Object.keys(e.details).length ? JSON.stringify(e.details) : null,
          })),
        );
      });
    });
}
