import { type Child, freePort, startChild } from '../child.js';
import { BARE_FASTIFY_SCRIPT, BARE_HTTP_SCRIPT, FASTIFY_SETUP_SCRIPT } from '../paths.js';

/**
 * What the token check could reach at best on this machine: a bare node:http server in
 * its own process that answers every request with `body` (the token check's own answer).
 */
export function startBareHttp(body: string): Promise<Child> {
  return startBare('bare node:http server', BARE_HTTP_SCRIPT, body);
}

/** A reference, not a limit: the same answer from a bare Fastify route (the framework's own cost). */
export function startBareFastify(body: string): Promise<Child> {
  return startBare('bare Fastify server', BARE_FASTIFY_SCRIPT, body);
}

/** A reference, not a limit: Fastify with Latchkey's request set-up and none of its work (bench/fastify-setup.ts). */
export function startFastifySetup(body: string): Promise<Child> {
  return startBare('Fastify with Latchkey set-up', FASTIFY_SETUP_SCRIPT, body);
}

async function startBare(name: string, script: string, body: string): Promise<Child> {
  const port = await freePort();
  return startChild({
    name,
    args: [script],
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), BENCH_BODY: body },
    port,
    readyPath: '/',
  });
}
