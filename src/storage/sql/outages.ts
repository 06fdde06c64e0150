import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { LatchkeyError } from '../../shared/errors.js';

/**
 * The storage layer names its own outages. A query that fails because the store cannot be
 * reached (a refused or dropped connection, a PostgreSQL shutting down, SQLite I/O or lock
 * errors) rejects with one domain error, `storage_unavailable`, whatever the driver said;
 * every other failure passes through unchanged. The HTTP layer maps that one code
 * (http/errors.ts), so it never has to guess from error codes, and a client that drops its
 * own connection (Node's ECONNRESET on the request) is never taken for a store outage.
 */
const CONNECTION_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08006',
  'SQLITE_BUSY',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);

/** True for a driver error that means "the store cannot be reached right now", as opposed to a bug. */
export function isConnectionFailure(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown };
  if (
    typeof e.code === 'string' &&
    (CONNECTION_FAILURE_CODES.has(e.code) || e.code.startsWith('SQLITE_IOERR'))
  )
    return true;
  const message = typeof e.message === 'string' ? e.message : '';
  // pg reports a few of its own connection failures without a code.
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    message,
  );
}

export function storageUnavailable(cause: unknown): LatchkeyError {
  const err = new LatchkeyError('storage_unavailable', 'Storage is unavailable; try again shortly', {
    retryAfterSeconds: 5,
  });
  // The driver's own error stays attached for the log line.
  (err as { cause?: unknown }).cause = cause;
  return err;
}

function translated(err: unknown): unknown {
  return isConnectionFailure(err) ? storageUnavailable(err) : err;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translated(err);
  }
}

/** A connection whose failures are translated; the driver gets its own connection back. */
class GuardedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return guarded(() => this.inner.executeQuery<R>(query));
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (err) {
      throw translated(err);
    }
  }
}

const own = (connection: DatabaseConnection): DatabaseConnection =>
  connection instanceof GuardedConnection ? connection.inner : connection;

type Compile = QueryCompiler['compileQuery'];

class GuardedDriver implements Driver {
  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return guarded(() => this.inner.init());
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new GuardedConnection(await guarded(() => this.inner.acquireConnection()));
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return guarded(() => this.inner.beginTransaction(own(connection), settings));
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return guarded(() => this.inner.commitTransaction(own(connection)));
  }
  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return guarded(() => this.inner.rollbackTransaction(own(connection)));
  }
  async savepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    if (!this.inner.savepoint) throw new Error('savepoints are not supported by this driver');
    const savepoint = this.inner.savepoint.bind(this.inner);
    return guarded(() => savepoint(own(connection), name, compile));
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    if (!this.inner.rollbackToSavepoint) throw new Error('savepoints are not supported by this driver');
    const rollback = this.inner.rollbackToSavepoint.bind(this.inner);
    return guarded(() => rollback(own(connection), name, compile));
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    if (!this.inner.releaseSavepoint) throw new Error('savepoints are not supported by this driver');
    const release = this.inner.releaseSavepoint.bind(this.inner);
    return guarded(() => release(own(connection), name, compile));
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(own(connection));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** `dialect`, with every connection failure of its driver raised as `storage_unavailable`. */
export function reportingOutages(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new GuardedDriver(dialect.createDriver()),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}
