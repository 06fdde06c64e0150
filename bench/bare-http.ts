/**
 * The token check's limit: a bare node:http server that reads the request and answers
 * every request with the same JSON body as `user.info`. Run as its own child process:
 * PORT and BENCH_BODY come from the environment.
 */
import { createServer } from 'node:http';

const port = Number(process.env['PORT']);
const body = Buffer.from(process.env['BENCH_BODY'] ?? '{"ok":true}');

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
