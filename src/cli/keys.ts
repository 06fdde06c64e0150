import type { Command } from 'commander';
import { keyOverlapMs } from '../services.js';
import { isoOrDash, printTable, withServices } from './context.js';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('Manage token signing keys');

  keys
    .command('list')
    .description('List signing keys and their status')
    .action(async () => {
      await withServices(async (services) => {
        printTable(
          services.keys.status(services.clock.now()).map((k) => ({
            kid: k.kid,
            alg: k.alg,
            status: k.status,
            created: isoOrDash(k.createdAt),
            retired: isoOrDash(k.retiredAt),
            verifiesUntil: isoOrDash(k.verifyUntil),
          })),
        );
      });
    });

  keys
    .command('rotate')
    .description('Add a new signing key; older keys keep verifying until their tokens expire')
    .action(async () => {
      await withServices(async (services) => {
        const kid = await services.keys.rotate(keyOverlapMs(services.config));
        await services.keyWatch.announce();
        process.stdout.write(`new signing key ${kid}\n`);
      });
    });
}
