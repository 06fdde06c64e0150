import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeAt } from '../../src/mfa/index.js';
import { backends } from '../helpers/backends.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { fromManyClients } from '../rpc/support.js';
import {
  enrollTotp,
  jwt,
  MINUTE,
  refreshCookie,
  SECOND,
  spa,
  userInfoAccepts,
  withCookie,
} from './support.js';

const OWN = 'https://auth.example.org';
const APP = 'https://survey.example.org';
const RETURN = `${APP}/app/?survey=demo`;
const INVALID = { message: 'Invalid Authorization' };

for (const backend of await backends()) {
  describe(`spa MFA: the hosted challenge and /login/verify (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = fromManyClients(
        await startTestServer(backend, { overrides: { publicUrl: OWN, 'spa.allowedOrigins': [APP] } }),
      );
    });
    after(async () => server.close());

    async function mfaUser() {
      const user = await seedUser(server);
      const totp = await enrollTotp(server, user);
      return { user, ...totp };
    }

    async function challengeFor(user: { emails: Array<{ address: string }>; password: string }) {
      const res = await spa(server, '/login', { email: user.emails[0]!.address, password: user.password });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const mfa = res.body['mfa'] as { request: string; host: string };
      assert.ok(mfa, JSON.stringify(res.body));
      return { res, request: mfa.request, host: mfa.host };
    }

    const page = (request: string, returnUrl?: string) =>
      server.inject({
        method: 'GET',
        url: `/mfa/challenge?request=${encodeURIComponent(request)}${returnUrl === undefined ? '' : `&return=${encodeURIComponent(returnUrl)}`}`,
      });

    const submit = (
      fields: Record<string, string>,
      headers: Record<string, string> = { 'sec-fetch-site': 'same-origin' },
    ) =>
      server.inject({
        method: 'POST',
        url: '/mfa/challenge',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams(fields).toString(),
      });

    const respond = (request: string, code: string) =>
      server.inject({
        method: 'POST',
        url: '/mfa/challenge/respond',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ request, code }),
      });

    const sigFrom = (location: string) => {
      const url = new URL(location);
      return decodeURIComponent(url.hash.replace(/^#sigResponse=/, ''));
    };

    async function sessionsOf(userId: string): Promise<number> {
      const rows = await server.services.store.db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', userId)
        .execute();
      return rows.length;
    }

    test('a correct password of an MFA user answers only {mfa: {request, host}}: no token, no cookie, no session', async () => {
      const { user } = await mfaUser();
      const { res, request, host } = await challengeFor(user);
      assert.deepEqual(Object.keys(res.body), ['mfa']);
      assert.deepEqual(Object.keys(res.body['mfa'] as object).sort(), ['host', 'request']);
      assert.equal(host, `${OWN}/mfa/challenge`, 'built from publicUrl, never from Host');
      assert.equal(res.headers['set-cookie'], undefined);
      assert.equal(await sessionsOf(user.id), 0);
      const { header, payload } = jwt(request);
      assert.equal(header['typ'], 'mfa-challenge+jwt');
      assert.equal(payload['sub'], user.id);
      assert.equal(typeof payload['jti'], 'string', 'bound to this sign-in attempt');
      assert.deepEqual(payload['ctx'], { method: 'password', surveyId: null });
      const window = (payload['exp'] as number) + server.config.clockSkewSeconds - (payload['iat'] as number);
      assert.ok(window <= 300, `answerable for at most 5 minutes, skew included (${window} s)`);
      // The password is checked before any challenge: a wrong one is the usual 401.
      const wrong = await spa(server, '/login', {
        email: user.emails[0]!.address,
        password: 'not the password',
      });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, { message: 'Provided credentials do not match our records.' });
    });

    test('the challenge is no credential: refused as a Bearer token, as the refresh cookie and as a sigResponse', async () => {
      const { user } = await mfaUser();
      const { request } = await challengeFor(user);
      assert.equal(await userInfoAccepts(server, request), false);
      assert.equal((await spa(server, '/refresh', undefined, withCookie(request))).status, 401);
      const verify = await spa(server, '/login/verify', { sigResponse: request });
      assert.equal(verify.status, 401);
      assert.deepEqual(verify.body, INVALID);
    });

    test('the hosted page: a labelled form, no script, a strict CSP, no-store, never framed', async () => {
      const { user } = await mfaUser();
      const { request } = await challengeFor(user);
      const res = await page(request, RETURN);
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.match(res.body, /<html lang="en">/);
      assert.match(res.body, /<label for="code">Verification code<\/label>/);
      assert.match(
        res.body,
        /<input id="code" name="code" type="text" autocomplete="one-time-code"[^>]*aria-describedby="hint"/,
      );
      assert.match(res.body, /<form method="post" action="\/mfa\/challenge">/);
      assert.ok(res.body.includes(`name="return" value="${RETURN.replace(/&/g, '&amp;')}"`));
      assert.doesNotMatch(res.body, /<script/i, 'works without JavaScript (there is none)');
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
      assert.match(csp, new RegExp(`form-action 'self' ${APP}(;|$)`));
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /base-uri 'none'/);
      assert.doesNotMatch(csp, /unsafe/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['referrer-policy'], 'same-origin');
      // Not an open redirect; and a forged or missing challenge gets no form.
      for (const bad of [
        'https://evil.example/',
        'javascript:alert(1)',
        '//evil.example',
        `${APP}.evil.example/`,
      ]) {
        const refused = await page(request, bad);
        assert.equal(refused.statusCode, 400, bad);
        assert.doesNotMatch(refused.body, /<form/);
      }
      for (const broken of ['', 'not-a-jwt', `${request.slice(0, -4)}AAAA`]) {
        const expired = await page(broken, RETURN);
        assert.equal(expired.statusCode, 400);
        assert.match(expired.body, /This sign-in has expired/);
      }
    });

    test('a correct code: 303 back with #sigResponse, then /login/verify gives {accessToken} and the cookie', async () => {
      const { user, code } = await mfaUser();
      const { request } = await challengeFor(user);
      const res = await submit({ request, return: RETURN, code: code() });
      assert.equal(res.statusCode, 303, res.body);
      const location = String(res.headers['location']);
      assert.ok(location.startsWith(`${RETURN}#sigResponse=`), location);
      const sigResponse = sigFrom(location);
      const { header, payload } = jwt(sigResponse);
      assert.equal(header['typ'], 'mfa-response+jwt');
      assert.equal(payload['sub'], user.id);
      assert.equal(payload['att'], jwt(request).payload['jti'], 'answers exactly this challenge');
      const verified = await spa(server, '/login/verify', { sigResponse });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      assert.deepEqual(Object.keys(verified.body), ['accessToken']);
      const access = jwt(verified.body['accessToken'] as string).payload;
      assert.equal(access['sub'], user.id);
      assert.deepEqual(access['amr'], ['pwd', 'otp', 'mfa']);
      assert.ok(refreshCookie(verified)?.value);
      assert.equal(await userInfoAccepts(server, verified.body['accessToken'] as string), true);
      const session = await server.services.repos.sessions.findSession(access['sid'] as string);
      assert.deepEqual(session?.data, { method: 'password', surveyId: null, amr: ['pwd', 'otp', 'mfa'] });
      // The refresh cookie of an MFA session refreshes like any other.
      const refreshed = await spa(server, '/refresh', undefined, withCookie(refreshCookie(verified)!.value));
      assert.equal(refreshed.status, 200);
    });

    test('a sigResponse works once, also when two tabs post it at the same time', async () => {
      const { user, code } = await mfaUser();
      const { request } = await challengeFor(user);
      const sigResponse = sigFrom(
        String((await submit({ request, return: RETURN, code: code() })).headers['location']),
      );
      const both = await Promise.all([
        spa(server, '/login/verify', { sigResponse }),
        spa(server, '/login/verify', { sigResponse }),
      ]);
      assert.deepEqual(both.map((r) => r.status).sort(), [200, 401]);
      const again = await spa(server, '/login/verify', { sigResponse });
      assert.equal(again.status, 401);
      assert.deepEqual(again.body, INVALID);
      assert.equal(again.headers['set-cookie'], undefined);
    });

    test('a sigResponse expires two minutes after it was given', async () => {
      const { user, code } = await mfaUser();
      const first = await challengeFor(user);
      const late = sigFrom(
        String((await submit({ request: first.request, code: code(), return: RETURN })).headers['location']),
      );
      server.clock.advance(2 * MINUTE + SECOND);
      assert.equal((await spa(server, '/login/verify', { sigResponse: late })).status, 401);
      server.clock.advance(MINUTE);
      const second = await challengeFor(user);
      const quick = sigFrom(
        String((await submit({ request: second.request, code: code(), return: RETURN })).headers['location']),
      );
      server.clock.advance(MINUTE);
      assert.equal((await spa(server, '/login/verify', { sigResponse: quick })).status, 200);
    });

    test('a challenge is answered once, and not after five minutes', async () => {
      const { user, secret } = await mfaUser();
      const { request } = await challengeFor(user);
      const first = await respond(request, codeAt(secret, server.clock.now()));
      assert.equal(first.statusCode, 200, first.body);
      // The next step's code is valid for the user, but this attempt is spent.
      const second = await respond(request, codeAt(secret, server.clock.now() + 30 * SECOND));
      assert.equal(second.statusCode, 401);
      const page2 = await page(request);
      assert.equal(page2.statusCode, 200, 'the page cannot tell before a code is tried');
      server.clock.advance(MINUTE);
      const fresh = await challengeFor(user);
      server.clock.advance(5 * MINUTE + SECOND);
      const tooLate = await respond(fresh.request, codeAt(secret, server.clock.now()));
      assert.equal(tooLate.statusCode, 401);
      assert.equal((await page(fresh.request, RETURN)).statusCode, 400);
    });

    test('binding: another user’s code does not answer a challenge; the answer signs in the challenged user only', async () => {
      const a = await mfaUser();
      const b = await mfaUser();
      const { request } = await challengeFor(a.user);
      const wrongUser = await submit({ request, return: RETURN, code: b.code() });
      assert.equal(wrongUser.statusCode, 401);
      assert.match(wrongUser.body, /role="alert">That code was not accepted/);
      assert.match(wrongUser.body, /aria-invalid="true"/);
      const ok = await respond(request, a.code());
      assert.equal(ok.statusCode, 200);
      const { sigResponse } = ok.json() as { sigResponse: string };
      // Kind confusion: neither token stands in for the other, nor for an access token.
      assert.equal((await respond(sigResponse, a.code())).statusCode, 401);
      assert.equal(await userInfoAccepts(server, sigResponse), false);
      const verified = await spa(server, '/login/verify', { sigResponse });
      assert.equal(jwt(verified.body['accessToken'] as string).payload['sub'], a.user.id);
      const access = verified.body['accessToken'] as string;
      assert.equal((await spa(server, '/login/verify', { sigResponse: access })).status, 401);
    });

    test('a wrong code shows the form again (401) and leaves the challenge open', async () => {
      const { user, code } = await mfaUser();
      const { request } = await challengeFor(user);
      const wrong = await submit({
        request,
        return: RETURN,
        code: code() === '000000' ? '111111' : '000000',
      });
      assert.equal(wrong.statusCode, 401);
      assert.match(wrong.body, /<form/);
      assert.match(wrong.body, /aria-describedby="hint error"/);
      const empty = await submit({ request, return: RETURN, code: '  ' });
      assert.equal(empty.statusCode, 400);
      assert.match(empty.body, /role="alert"/);
      const right = await submit({ request, return: RETURN, code: code() });
      assert.equal(right.statusCode, 303);
    });

    test('wrong codes are throttled per user: 429 with Retry-After, on the page and the API', async () => {
      const { user, code } = await mfaUser();
      const { request } = await challengeFor(user);
      const wrong = code() === '000000' ? '111111' : '000000';
      for (let i = 0; i < 6; i++) assert.equal((await respond(request, wrong)).statusCode, 401);
      const api = await respond(request, code());
      assert.equal(api.statusCode, 429);
      assert.ok(Number(api.headers['retry-after']) >= 1);
      const onPage = await submit({ request, return: RETURN, code: code() });
      assert.equal(onPage.statusCode, 429);
      assert.match(onPage.body, /Too many wrong codes/);
      assert.ok(Number(onPage.headers['retry-after']) >= 1);
    });

    test('the API route answers one of two parallel submissions of one code', async () => {
      const { user, code } = await mfaUser();
      const one = await challengeFor(user);
      const two = await challengeFor(user);
      const c = code();
      const both = await Promise.all([respond(one.request, c), respond(two.request, c)]);
      assert.deepEqual(both.map((r) => r.statusCode).sort(), [200, 401]);
      const ok = both.find((r) => r.statusCode === 200)!.json() as { sigResponse: string; expiresAt: string };
      assert.equal(typeof ok.sigResponse, 'string');
      assert.equal(Date.parse(ok.expiresAt), (jwt(ok.sigResponse).payload['exp'] as number) * 1000);
    });

    test('a recovery code answers a challenge, once', async () => {
      const { user } = await mfaUser();
      const [recovery] = await server.services.mfa.generateRecoveryCodes(user);
      const first = await challengeFor(user);
      assert.equal((await respond(first.request, recovery!.toUpperCase())).statusCode, 200);
      const second = await challengeFor(user);
      assert.equal((await respond(second.request, recovery!)).statusCode, 401);
    });

    test('without a return URL the page shows the sigResponse to copy back', async () => {
      const { user, code } = await mfaUser();
      const { request } = await challengeFor(user);
      const res = await submit({ request, code: code() });
      assert.equal(res.statusCode, 200);
      const match = /<textarea id="sigResponse" readonly[^>]*>([^<]+)<\/textarea>/.exec(res.body);
      assert.ok(match, res.body);
      assert.match(res.body, /<label for="sigResponse">/);
      assert.equal((await spa(server, '/login/verify', { sigResponse: match[1]! })).status, 200);
    });

    test('the form post is refused from another origin (login CSRF) and with a return URL not allowed', async () => {
      const { user, code } = await mfaUser();
      const { request } = await challengeFor(user);
      for (const headers of [
        { 'sec-fetch-site': 'cross-site' } as Record<string, string>,
        { 'sec-fetch-site': 'same-site' },
        { origin: 'https://evil.example' },
        { origin: 'null' },
      ]) {
        const res = await submit({ request, return: RETURN, code: code() }, headers);
        assert.equal(res.statusCode, 403, JSON.stringify(headers));
      }
      const open = await submit({ request, return: 'https://evil.example/steal', code: code() });
      assert.equal(open.statusCode, 400);
      assert.equal(open.headers['location'], undefined);
      // None of those used the code or the challenge.
      assert.equal(
        (await submit({ request, return: RETURN, code: code() }, { origin: OWN })).statusCode,
        303,
      );
    });

    test('alias and login-link sign-ins of an MFA user go through the challenge too; the token names the survey', async () => {
      const appId = server.services.defaultApp.id;
      const { user, secret } = await mfaUser();
      await server.services.spa.aliases.create(appId, {
        userId: user.id,
        surveyId: 'wave-2',
        userName: 'r77',
      });
      const alias = await spa(server, '/login/alias', {
        userName: 'r77',
        password: user.password,
        surveyId: 'wave-2',
      });
      assert.equal(alias.status, 200);
      assert.equal(alias.body['accessToken'], undefined);
      assert.equal(alias.headers['set-cookie'], undefined);
      const aliasRequest = (alias.body['mfa'] as { request: string }).request;
      assert.deepEqual(jwt(aliasRequest).payload['ctx'], { method: 'alias', surveyId: 'wave-2' });
      const answered = await respond(aliasRequest, codeAt(secret, server.clock.now()));
      const sig = (answered.json() as { sigResponse: string }).sigResponse;
      const viaAlias = await spa(server, '/login/verify', { sigResponse: sig });
      assert.equal(jwt(viaAlias.body['accessToken'] as string).payload['survey'], 'wave-2');

      server.clock.advance(30 * SECOND);
      const { token } = await server.services.spa.loginLinks.create(appId, {
        userId: user.id,
        surveyId: 'wave-3',
      });
      const link = await spa(server, '/login/token', { token });
      assert.equal(link.status, 200);
      assert.equal(link.body['accessToken'], undefined, 'a login link alone is one factor, too');
      const linkRequest = (link.body['mfa'] as { request: string }).request;
      const sig2 = (
        (await respond(linkRequest, codeAt(secret, server.clock.now()))).json() as { sigResponse: string }
      ).sigResponse;
      const viaLink = await spa(server, '/login/verify', { sigResponse: sig2 });
      const claims = jwt(viaLink.body['accessToken'] as string).payload;
      assert.equal(claims['survey'], 'wave-3');
      assert.deepEqual(claims['amr'], ['link', 'otp', 'mfa']);
    });

    test('/login/verify: missing, empty, non-string and forged sigResponses are 401 Invalid Authorization', async () => {
      for (const body of [{}, { sigResponse: '' }, { sigResponse: 5 }, { sigResponse: 'a.b.c' }, []]) {
        const res = await spa(server, '/login/verify', body);
        assert.equal(res.status, 401, JSON.stringify(body));
        assert.deepEqual(res.body, INVALID);
      }
    });

    test('a user deactivated between the challenge and the answer gets no session', async () => {
      const { user, code } = await mfaUser();
      const { request } = await challengeFor(user);
      const sig = ((await respond(request, code())).json() as { sigResponse: string }).sigResponse;
      await server.services.users.deactivate(server.services.defaultApp.id, user.id, { context: undefined });
      assert.equal((await spa(server, '/login/verify', { sigResponse: sig })).status, 401);
    });
  });
}
