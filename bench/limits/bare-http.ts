import { type Child, freePort, startChild } from '../child.js';
import { BARE_HTTP_SCRIPT } from '../paths.js';

/**
 * What the token check could reach at best on this machine: a bare node:http server in
 * its own process that answers every request with `body` (the token check's own answer).
 */
export async function startBareHttp(body: string): Promise<Child> {
  const port = await freePort();
  return startChild({
    name: 'bare node:http server',
    args: [BARE_HTTP_SCRIPT],
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), BENCH_BODY: body },
    port,
    readyPath: '/',
  });
}
