import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { LazyRequestLogger } from './request-logger.js';

const { chindingsSym, streamSym, timeSym, messageKeySym, mixinSym, hooksSym, needsMetadataGsym } =
  pino.symbols;

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
  requestLog: FastifyBaseLogger,
  fields: { method: string; path: string; status: number; ms: number },
): void {
  // A request logger not made into a child yet: the parent's line plus the request's bindings,
  // which is what pino's child would have written.
  const lazy = requestLog instanceof LazyRequestLogger && !requestLog.made ? requestLog : undefined;
  const log = lazy ? lazy.parent : requestLog instanceof LazyRequestLogger ? requestLog.made! : requestLog;
  const internals = log as unknown as Record<symbol, unknown>;
  const stream = internals[streamSym] as { write?: (line: string) => unknown } | undefined;
  const time = internals[timeSym];
  const own = internals[chindingsSym];
  const bindings = lazy && typeof own === 'string' ? own + bindingsJson(lazy.bindings) : own;
  if (
    typeof stream?.write !== 'function' ||
    typeof time !== 'function' ||
    typeof bindings !== 'string' ||
    !plainPino(internals, stream)
  ) {
    requestLog.info(fields, 'request');
    return;
  }
  if (!(log as pino.Logger).isLevelEnabled('info')) return;
  stream.write(
    `{"level":30${time()}${bindings},"method":${JSON.stringify(fields.method)},"path":${JSON.stringify(fields.path)},"status":${fields.status},"ms":${fields.ms},"msg":"request"}\n`,
  );
}

/**
 * A logger set up the way Latchkey builds its own: no mixin, no stream hook, the default
 * message key, and a destination that does not ask pino for each line's level (a
 * multistream does). Anything else gets pino's own path, which honours those options.
 */
function plainPino(internals: Record<symbol, unknown>, stream: object): boolean {
  const hooks = internals[hooksSym] as { streamWrite?: unknown } | undefined;
  return (
    internals[messageKeySym] === 'msg' &&
    !internals[mixinSym] &&
    !hooks?.streamWrite &&
    !(stream as Record<symbol, unknown>)[needsMetadataGsym]
  );
}

/** Bindings as pino's child appends them to its parent's: `,"key":value` each. */
function bindingsJson(bindings: Record<string, unknown>): string {
  let out = '';
  for (const key of Object.keys(bindings)) {
    const value = bindings[key];
    if (value !== undefined) out += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return out;
}
