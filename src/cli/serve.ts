import cluster from 'node:cluster';
import type { Command } from 'commander';
import { runPrimary } from '../cluster/primary.js';
import { workerServiceOptions } from '../cluster/worker.js';
import { workerCount } from '../cluster/workers.js';
import { loadConfig } from '../config/load.js';
import { startServer } from '../main.js';
import { checkReachable, migrateToLatest, openStore } from '../storage/sql/database.js';

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('Start the server (configuration from latchkey.config.json and the environment)')
    .action(async () => {
      const config = loadConfig();
      const workers = workerCount(config.workers);
      if (workers > 1 && cluster.isPrimary) await runPrimary(config, workers);
      else if (cluster.isWorker)
        await startServer(config, { services: workerServiceOptions(config, workers) });
      else await startServer(config);
    });

  program
    .command('migrate')
    .description('Apply pending database migrations and exit')
    .action(async () => {
      const config = loadConfig();
      const store = openStore(config.databaseUrl, { createDirectoryIn: config.dataDir });
      try {
        await checkReachable(store, config.databaseUrl);
        const applied = await migrateToLatest(store.db);
        process.stdout.write(
          applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n',
        );
      } finally {
        await store.close();
      }
    });
}
