#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { isLatchkeyError } from '../shared/errors.js';
import { registerAppCommands } from './apps.js';
import { registerAuditCommands } from './audit.js';
import { registerKeyCommands } from './keys.js';
import { registerSecretCommands } from './secrets.js';
import { registerServeCommands } from './serve.js';
import { registerSpaCommands } from './spa.js';
import { registerUserCommands } from './users.js';

// package.json sits three levels up both in a checkout (dist/src/cli) and in an installed package.
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command()
  .name('latchkey')
  .description('Latchkey: a self-hosted authentication server')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerServeCommands(program);
registerUserCommands(program);
registerKeyCommands(program);
registerSpaCommands(program);
registerAppCommands(program);
registerAuditCommands(program);
registerSecretCommands(program);

/** Errors print one clear line and exit non-zero; stack traces are for bugs only (LATCHKEY_DEBUG=1). */
function explain(err: unknown): string {
  if (err instanceof ConfigError || isLatchkeyError(err)) return err.message;
  if (err instanceof Error) return process.env['LATCHKEY_DEBUG'] ? (err.stack ?? err.message) : err.message;
  return String(err);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  process.stderr.write(`latchkey: ${explain(err)}\n`);
  process.exit(1);
}
