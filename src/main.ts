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
    const address = await app.listen({ port: config.port, host: config.host });
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
