import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../src/config/settings.js';
import { backends } from './helpers/backends.js';
import { seedUser, startTestServer } from './helpers/server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const firstUse = readme.slice(readme.indexOf('## First use'), readme.indexOf('## Configuration'));

test("the README's plain-http start switches off every Secure cookie setting", () => {
  const secureFlags = SETTINGS.filter((s) => s.path.endsWith('cookie.secure')).map((s) => s.env);
  assert.ok(secureFlags.length >= 2, secureFlags.join());
  const start = firstUse.split('\n').find((line) => line.trim().endsWith('npm start'));
  assert.ok(start, 'First use starts the server');
  for (const env of secureFlags) assert.ok(start.includes(`${env}=false`), `${start} sets ${env}=false`);
});

test("the README's user.info answer shows the email-domain org a new superuser is in", async () => {
  const [sqlite] = await backends();
  const server = await startTestServer(sqlite!);
  try {
    // As `user create --superuser` makes it: a verified primary address.
    const user = await seedUser(server, { email: 'admin@example.com', superuser: true });
    const issued = await server.inject({
      method: 'POST',
      url: '/api/session.issueToken',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ user: 'admin@example.com', password: user.password }),
    });
    const token = (issued.json() as { token: string }).token;
    const info = await server.inject({
      method: 'POST',
      url: '/api/user.info',
      headers: { authorization: `Bearer ${token}` },
    });
    const orgs = (info.json() as { user: { orgs: string[] } }).user.orgs;
    assert.equal(orgs.length, 1, info.body);
    const org = await server.services.store.db
      .selectFrom('orgs')
      .select(['name', 'domain'])
      .where('id', '=', orgs[0]!)
      .executeTakeFirstOrThrow();
    assert.deepEqual(org, { name: 'example.com', domain: 'example.com' });
  } finally {
    await server.close();
  }
  assert.match(firstUse, /"orgs":\["6650…"\]/);
  assert.match(firstUse, /org of the email domain/);
});
