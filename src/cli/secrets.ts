import type { Command } from 'commander';
import { printTable, withServices } from './context.js';

export function registerSecretCommands(program: Command): void {
  const secrets = program.command('secrets').description('Manage what is sealed under the master secret');

  secrets
    .command('reseal')
    .description(
      'Seal every value kept encrypted at rest under the current LATCHKEY_SECRET, so LATCHKEY_SECRET_FALLBACKS can be dropped',
    )
    .option('--dry-run', 'only count what would be re-sealed')
    .action(async (options: { dryRun?: boolean }) => {
      const dryRun = options.dryRun ?? false;
      const counts = await withServices((services) => services.reseal.reseal({ dryRun }));
      printTable(counts.map((c) => ({ ...c })));
      const pending = counts.reduce((n, c) => n + c.resealed, 0);
      const unreadable = counts.reduce((n, c) => n + c.unreadable, 0);
      if (unreadable > 0) {
        process.stderr.write(
          `${unreadable} value(s) open under none of the configured secrets and were left as they are: put the secret they were sealed under in LATCHKEY_SECRET_FALLBACKS and run this again.\n`,
        );
        process.exitCode = 1;
      } else if (dryRun && pending > 0) {
        process.stdout.write(
          `${pending} value(s) are still sealed under a fallback secret: run without --dry-run.\n`,
        );
      } else {
        process.stdout.write(
          dryRun
            ? 'Everything is sealed under the current secret: the fallbacks can be removed.\n'
            : `Re-sealed ${pending} value(s); everything is now sealed under the current secret: the fallbacks can be removed.\n`,
        );
      }
    });
}
