// Serves the example SPA and, on the same origin, passes every other path on to Latchkey:
// the page calls `/login`, `/refresh`, `/logout` and rpc `/api/user.info` on its own origin,
// so no CORS is involved (the deployment docs/spa.md recommends, in miniature).
//
//   node examples/spa/serve.mjs            # http://127.0.0.1:5173 → Latchkey at http://127.0.0.1:8080
//   PORT=3000 LATCHKEY_URL=http://127.0.0.1:18080 node examples/spa/serve.mjs
//
// Node 20+, no dependencies. A development helper, not a production proxy.
import { readFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { pathToFileURL } from 'node:url';

const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
};

/** Starts the example's server; resolves to it once it listens. */
export async function serveExample({
  port = 5173,
  host = '127.0.0.1',
  latchkey = 'http://127.0.0.1:8080',
} = {}) {
  const target = new URL(latchkey);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = req.method === 'GET' ? FILES[path] : undefined;
    if (file) {
      const body = await readFile(new URL(file[0], import.meta.url));
      res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' }).end(body);
      return;
    }
    // Everything else is Latchkey's: method, path, headers (cookies included) and body as they came.
    const upstream = request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`Latchkey is not reachable at ${target.origin}\n`);
    });
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 5173);
  const latchkey = process.env.LATCHKEY_URL ?? 'http://127.0.0.1:8080';
  await serveExample({ port, latchkey });
  console.log(`example SPA on http://127.0.0.1:${port}/, Latchkey at ${latchkey}`);
}
