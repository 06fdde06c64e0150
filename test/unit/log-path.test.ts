import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { loggedPath, redactedPath } from '../../src/http/log-path.js';

const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLW9mLWEtdG9rZW4';

function request(url: string, route: { url?: string; secretPath?: boolean }): FastifyRequest {
  return {
    url,
    routeOptions: { url: route.url, config: route.secretPath ? { secretPath: true } : {} },
  } as unknown as FastifyRequest;
}

test('the logged path drops the query string', () => {
  assert.equal(
    loggedPath(request('/reset-password?token=secret', { url: '/reset-password' })),
    '/reset-password',
  );
});

test('a route whose path carries a credential logs its template', () => {
  assert.equal(
    loggedPath(request(`/authentication/${JWT}`, { url: '/authentication/:accessToken', secretPath: true })),
    '/authentication/:accessToken',
  );
});

test('a path that matched no route has anything shaped like a JWT masked', () => {
  assert.equal(loggedPath(request(`/authentication/${JWT}/`, {})), '/authentication/[redacted]/');
  assert.equal(loggedPath(request('/no/such/route', {})), '/no/such/route');
});

test('a matched route has a JWT in its path masked too, dots percent-encoded or not', () => {
  assert.equal(loggedPath(request(`/users/${JWT}`, { url: '/users/:id' })), '/users/[redacted]');
  const encoded = JWT.replaceAll('.', '%2E');
  assert.equal(loggedPath(request(`/users/${encoded}/x`, { url: '/users/*' })), '/users/[redacted]/x');
  assert.equal(loggedPath(request('/api/user.info', { url: '/api/user.info' })), '/api/user.info');
});

test('the path for other logs (the req serializer) drops the query and masks JWTs', () => {
  assert.equal(redactedPath(`/authentication/${JWT}?token=secret`), '/authentication/[redacted]');
});
