import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';

const { chindingsSym, streamSym, timeSym } = pino.symbols;

/**
 * Writes the one access-log line of a request, in pino's own line format (level, time,
 * the request logger's bindings — pid, hostname, reqId — then the fields and msg).
 * Every request pays for this line, and pino's general path (merging an object,
 * running serializers and redaction over it) costs several microseconds the token
 * check cannot spare; these fields need none of that: a number, a method, a path
 * (escaped by JSON.stringify) and a duration. Loggers that are not pino (logging off,
 * or a custom logger) get the ordinary call.
 */
export function writeAccessLine(
  log: FastifyBaseLogger,
  fields: { method: string; path: string; status: number; ms: number },
): void {
  const internals = log as unknown as Record<symbol, unknown>;
  const stream = internals[streamSym] as { write?: (line: string) => unknown } | undefined;
  const time = internals[timeSym];
  const bindings = internals[chindingsSym];
  if (typeof stream?.write !== 'function' || typeof time !== 'function' || typeof bindings !== 'string') {
    log.info(fields, 'request');
    return;
  }
  if (!(log as pino.Logger).isLevelEnabled('info')) return;
  stream.write(
    `{"level":30${time()}${bindings},"method":${JSON.stringify(fields.method)},"path":${JSON.stringify(fields.path)},"status":${fields.status},"ms":${fields.ms},"msg":"request"}\n`,
  );
}
