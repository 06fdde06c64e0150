import assert from 'node:assert/strict';
import { feathersSettings } from '../../../src/config/feathers.js';
import { seedUser } from '../server.js';
import type { Recorder } from './recorder.js';

/**
 * The feathers dialect's secret-bearing answers: every sign-in path and token exchange,
 * both sign-outs (which echo the token), and sign-up with its activation link.
 */
export async function feathersFlows(r: Recorder): Promise<void> {
  const { server } = r;
  const prefix = feathersSettings(server.config).prefix;
  const password = r.secret('feathers password', 'Feathers-Flow-Password-1');
  const user = await seedUser(server, { password });
  const email = user.emails[0]!.address;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    r.post(`POST ${prefix}${path}`, `${prefix}${path}`, body, 201, headers);

  const token = r.jwt('feathers token', (await post('/auth/login', { email, password })).body['token']);
  r.jwt('feathers local token', (await post('/auth/local', { email, password })).body['token']);
  const exchanged = r.jwt('feathers exchanged token', (await post('/auth/token', { token })).body['token']);
  const modern = r.jwt(
    'feathers authentication token',
    (await post('/authentication', { strategy: 'local', email, password })).body['accessToken'],
  );
  await post('/authentication', { strategy: 'jwt', accessToken: modern });

  const remove = async (operation: string, url: string, bearer: string) => {
    const res = await r.send(operation, {
      method: 'DELETE',
      url,
      headers: { authorization: `Bearer ${bearer}` },
    });
    assert.equal(res.statusCode, 200, `${operation}: ${res.body}`);
  };
  await remove(`DELETE ${prefix}/authentication`, `${prefix}/authentication`, modern);
  await remove(`DELETE ${prefix}/authentication/{id}`, `${prefix}/authentication/${exchanged}`, exchanged);

  const newcomer = 'hygiene-feathers-signup@example.com';
  await post('/signup', {
    email: newcomer,
    password: r.secret('feathers sign-up password', 'Feathers-Signup-Password-2'),
  });
  const link = new URL((await r.mailTo(newcomer)).link!);
  r.secret('feathers activation token', link.searchParams.get('token'));
  const activated = await r.send(`GET ${prefix}/activate`, {
    method: 'GET',
    url: `${prefix}/activate${link.search}`,
  });
  assert.equal(activated.statusCode, 200, activated.body);
}
