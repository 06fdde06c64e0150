import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/server.js';
import { createApp, startAppsServer } from '../apps/support.js';
import { backends } from '../helpers/backends.js';
import type { TestServer } from '../helpers/server.js';

/**
 * A client that disconnects mid-body, over a real socket: Node fails the request
 * stream with ECONNRESET ("aborted"), the code a lost database connection has too.
 * That is the client's doing: no "storage unavailable" alarm, no error-level log line.
 */
const ROUTES = [
  ['rpc', '/api/session.issueToken'],
  ['spa', '/login'],
  ['feathers', '/authentication'],
  ['apps', '/api/v2/apps/acme/portal/auth/login'],
  ['pages', '/verify-email'],
] as const;

const BOUND_MS = 20_000;
const [sqlite] = await backends();

describe('a client that disconnects mid-body is not a storage failure', () => {
  let server: TestServer;
  let app: FastifyInstance;
  let port: number;
  const logs: string[] = [];
  /** Resolved when the request at this path has reached the error handlers. */
  const failed = new Map<string, () => void>();

  before(async () => {
    server = await startAppsServer(sqlite!);
    await createApp(server, 'acme/portal');
    // Its own HTTP face on the same core, with a hook that says when a request's
    // error reached the handlers: the test waits for that instead of sleeping.
    app = await buildApp(server.services, {
      logger: {
        level: 'info',
        stream: new Writable({
          write(chunk, _enc, done) {
            logs.push(String(chunk));
            done();
          },
        }),
      },
    });
    app.addHook('onError', (request, _reply, _err, done) => {
      done();
      failed.get(request.url)?.();
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    port = address.port;
  });
  after(async () => {
    await app.close();
    await server.close();
  });

  for (const [dialect, url] of ROUTES) {
    test(`${dialect}: POST ${url}`, async () => {
      const logged = logs.length;
      const reached = new Promise<boolean>((resolve) => {
        failed.set(url, () => resolve(true));
        setTimeout(() => resolve(false), BOUND_MS).unref();
      });
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(
        `POST ${url} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`,
      );
      socket.write('{"user": "someone", "passw', () => socket.destroy());
      assert.equal(await reached, true, 'the aborted body never reached an error handler');
      // The handlers run right after the hooks: one turn later their log lines are written.
      await new Promise((resolve) => setImmediate(resolve));
      const lines = logs.slice(logged).map((line) => JSON.parse(line) as { level: number; msg?: string });
      assert.deepEqual(
        lines.filter((line) => line.level >= 50 || /storage unavailable/.test(line.msg ?? '')),
        [],
        'a client abort was logged as an error',
      );
    });
  }
});
