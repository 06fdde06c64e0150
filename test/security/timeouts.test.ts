import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * What a client that stops sending gets, over a real socket (inject has no socket).
 * The timeouts are configured to one second; the bound each test waits for is far
 * longer, so a busy machine cannot fail them, while Node's own defaults (no request
 * timeout, 72 s keep-alive) would.
 */
const BOUND_MS = 20_000;

interface Outcome {
  answer: string;
  closed: boolean;
}

/** Writes `parts`, then waits for the server to close the connection (or the bound to pass). */
function stall(port: number, parts: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closed: false });
    }, BOUND_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closed: true });
    });
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
    });
  });
}

const [sqlite] = await backends();

describe('timeouts on a real socket', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await startTestServer(sqlite!, {
      overrides: {
        'http.requestTimeoutSeconds': 1,
        'http.headersTimeoutSeconds': 1,
        'http.keepAliveTimeoutSeconds': 1,
      },
    });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const address = server.app.server.address();
    assert.ok(address && typeof address === 'object');
    port = address.port;
  });
  after(() => server.close());

  test('a body that stops arriving is answered 408 and the connection closed', async () => {
    const outcome = await stall(port, [
      'POST /api/user.forgotPassword HTTP/1.1\r\nHost: localhost\r\n',
      'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n',
      '{"emailAddress": "someone@exam',
    ]);
    assert.equal(outcome.closed, true, 'the connection was held');
    assert.match(outcome.answer, /^HTTP\/1\.1 408 /);
  });

  test('headers that stop arriving are answered 408 and the connection closed', async () => {
    const outcome = await stall(port, ['GET /healthz HTTP/1.1\r\nHost: local']);
    assert.equal(outcome.closed, true, 'the connection was held');
    assert.match(outcome.answer, /^HTTP\/1\.1 408 /);
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const outcome = await stall(port, ['GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    assert.equal(outcome.closed, true, 'the idle connection was held');
    assert.match(outcome.answer, /^HTTP\/1\.1 200 /);
    assert.match(outcome.answer, /keep-alive/i);
  });
});
