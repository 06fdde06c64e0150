/**
 * A reference beside the token check's limit: a bare Fastify route (no plugins, no hooks,
 * logging off) that answers every request with the same JSON body as `user.info`. It
 * shows what the framework alone keeps of the bare node:http limit on this machine, so
 * the token check's ratio can be read against it. PORT and BENCH_BODY come from the
 * environment.
 */
import Fastify from 'fastify';

const port = Number(process.env['PORT']);
const body = process.env['BENCH_BODY'] ?? '{"ok":true}';

const app = Fastify({ logger: false, keepAliveTimeout: 72_000 });
app.removeContentTypeParser('application/json');
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) =>
  done(null, text),
);
const answer = (_request: unknown, reply: { type(t: string): { send(b: string): unknown } }) =>
  reply.type('application/json; charset=utf-8').send(body);
app.get('/', answer);
app.post('/api/user.info', answer);
await app.listen({ port, host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
