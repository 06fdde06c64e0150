import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { flushLogsSync } from './http/log-destination.js';
import { buildApp } from './http/server.js';
import { createServices, type ServiceOptions, type Services } from './services.js';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  address: string;
  stop(): Promise<void>;
}

/** config → storage → services → HTTP → listen; SIGTERM/SIGINT finish in-flight requests, then close storage. */
export async function startServer(
  config: Config,
  options: { handleSignals?: boolean; services?: ServiceOptions } = {},
): Promise<RunningServer> {
  const services = await createServices(config, options.services);
  const app = await buildApp(services);
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      // close() stops accepting connections and waits for in-flight requests to finish.
      await app.close();
      await services.close();
      flushLogsSync();
    })();
    return stopping;
  };
  try {
    const address = await app.listen({ port: config.port, host: config.host }).catch((err: unknown) => {
      throw listenError(err, config);
    });
    if (options.handleSignals ?? true) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          app.log.info({ signal }, 'shutting down');
          stop().then(
            () => process.exit(0),
            (err: unknown) => {
              app.log.error({ err }, 'shutdown failed');
              process.exit(1);
            },
          );
        });
      }
    }
    app.log.info({ address, store: services.store.kind, dialects: config.dialects }, 'latchkey listening');
    // Log lines are buffered (log-destination.ts); the start-up lines are written at once.
    flushLogsSync();
    return { app, services, address, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Why the server cannot listen, naming the settings to change (HOST, PORT) instead of only `listen EADDRNOTAVAIL`. */
export function listenError(err: unknown, config: Pick<Config, 'host' | 'port'>): Error {
  const code = (err as { code?: string } | null)?.code;
  const where = `${config.host}:${config.port} (HOST=${config.host}, PORT=${config.port})`;
  const why: Record<string, string> = {
    EADDRINUSE: 'the port is already in use by another process; choose another PORT or stop that process',
    EADDRNOTAVAIL: 'HOST is not an address of this machine; use one of its addresses, 127.0.0.1 or 0.0.0.0',
    EACCES: 'permission denied (ports below 1024 need privileges); choose another PORT',
    ENOTFOUND: 'HOST is not a known host name; use an address of this machine, 127.0.0.1 or 0.0.0.0',
    EAI_AGAIN: 'HOST could not be resolved; use an address of this machine, 127.0.0.1 or 0.0.0.0',
  };
  const message = (code && why[code]) ?? (err instanceof Error ? err.message : String(err));
  return new Error(`cannot listen on ${where}: ${message}`, { cause: err });
}
