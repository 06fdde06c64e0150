/** A bad command line: reported as one line (exit code 2), without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** True for UsageError and for node:util parseArgs' own complaints (unknown option, missing value). */
export function isUsageError(err: unknown): err is Error {
  if (err instanceof UsageError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** Exits with the error's message: code 2 for usage errors, 1 otherwise (the stack too with BENCH_DEBUG=1). */
export function exitWith(prefix: string, err: unknown): never {
  const debug = process.env['BENCH_DEBUG'] && err instanceof Error ? err.stack : undefined;
  process.stderr.write(`${prefix}: ${debug ?? (err instanceof Error ? err.message : String(err))}\n`);
  process.exit(isUsageError(err) ? 2 : 1);
}
