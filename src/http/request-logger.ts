import type { FastifyBaseLogger } from 'fastify';

type Bindings = Record<string, unknown>;
type LogMethod = (...args: unknown[]) => void;

/**
 * A request's logger, made into a pino child only when something is logged through it.
 * Fastify gives every request a child logger bound to its request id; building one
 * (bindings serialised, serializers and redaction carried over) costs a few
 * microseconds and some garbage per request, while a request that goes well logs
 * nothing but its access line, which access-log.ts writes from the parent and the
 * bindings directly. Anything else logged gets the real child, with the same bindings.
 */
export class LazyRequestLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    readonly parent: FastifyBaseLogger,
    readonly bindings: Bindings,
    private readonly options: object,
  ) {}

  /** The child, if it has been made. */
  get made(): FastifyBaseLogger | undefined {
    return this.real;
  }

  private get log(): FastifyBaseLogger {
    this.real ??= this.parent.child(this.bindings, this.options);
    return this.real;
  }

  get level(): string {
    return this.real ? this.real.level : this.parent.level;
  }

  set level(level: string) {
    this.log.level = level;
  }

  fatal(...args: unknown[]): void {
    (this.log.fatal as LogMethod)(...args);
  }
  error(...args: unknown[]): void {
    (this.log.error as LogMethod)(...args);
  }
  warn(...args: unknown[]): void {
    (this.log.warn as LogMethod)(...args);
  }
  info(...args: unknown[]): void {
    (this.log.info as LogMethod)(...args);
  }
  debug(...args: unknown[]): void {
    (this.log.debug as LogMethod)(...args);
  }
  trace(...args: unknown[]): void {
    (this.log.trace as LogMethod)(...args);
  }
  silent(...args: unknown[]): void {
    (this.log.silent as LogMethod)(...args);
  }

  child(bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.log.child(bindings, options);
  }
}

/** Fastify's childLoggerFactory: a lazy child per request. */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: object,
): FastifyBaseLogger {
  // A route's own log level (or other child options) gets its real child at once.
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  return new LazyRequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
