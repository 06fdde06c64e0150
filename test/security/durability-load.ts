import assert from 'node:assert/strict';

/**
 * The write load of the SIGKILL durability suite, one worker per dialect, over real
 * HTTP to 127.0.0.1 (not a test file itself). Each worker records only what the
 * server acknowledged; `verify*` checks those records against the restarted server.
 */

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  cookies: string[];
}

let client = 0;

/**
 * One request. Each gets its own X-Forwarded-For (the server trusts 127.0.0.1 as a
 * proxy) so that per-address throttling of sign-ups and sign-ins does not become the
 * load's limit.
 */
export async function http(
  base: string,
  method: string,
  path: string,
  options: { json?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  client++;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'x-forwarded-for': `10.99.${(client >> 8) & 255}.${client & 255}`,
      ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body, cookies: res.headers.getSetCookie() };
}

export interface Acknowledged {
  /** Tokens or cookies whose session must still work. */
  live: string[];
  /** Tokens or cookies whose sign-out was acknowledged: they must stay refused. */
  signedOut: string[];
  /** Accounts whose creation was acknowledged: `[login, password]`. */
  created: Array<[string, string]>;
}

export const acknowledged = (): Acknowledged => ({ live: [], signedOut: [], created: [] });

export interface LoadContext {
  /** The server under load (it is killed mid-request: every error ends the worker). */
  url: string;
  stopped: () => boolean;
  /** An administrator's rpc token, to create default-app users. */
  admin: string;
}

const cookieOf = (answer: Answer, name: string) =>
  answer.cookies
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`) && c.length > name.length + 1);

/** Runs `step(i)` until stopped, the bound, or the server dies under it. */
async function loop(ctx: LoadContext, step: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; !ctx.stopped() && i < 10_000; i++) {
    try {
      await step(i);
    } catch {
      return; // the server died under us: that is the point
    }
  }
}

/** A default-app user made through rpc user.create, for the spa and feathers sign-ins. */
async function defaultUser(
  ctx: LoadContext,
  name: string,
): Promise<{ email: string; password: string } | null> {
  const email = `${name}@example.com`;
  const password = `password-${name}`;
  const created = await http(ctx.url, 'POST', '/api/user.create', {
    json: { username: name, password, emails: [{ address: email, isPrimary: true }] },
    headers: { authorization: `Bearer ${ctx.admin}` },
  });
  return created.body['ok'] === true ? { email, password } : null;
}

/** apps: a device login (a write), a sign-in, a refresh, and every other time a sign-out. */
export function appsLoad(ctx: LoadContext, app: string, login: string, password: string, out: Acknowledged) {
  const base = `/api/v2/apps/${app}`;
  return loop(ctx, async (i) => {
    const device = await http(ctx.url, 'POST', `${base}/devices`);
    if (device.status === 201)
      out.created.push([device.body['login'] as string, device.body['password'] as string]);
    const signedIn = await http(ctx.url, 'POST', `${base}/auth/login`, { json: { login, password } });
    if (signedIn.status !== 200) return;
    const refreshed = await http(ctx.url, 'POST', `${base}/auth/refresh`, {
      headers: { authorization: `Bearer ${signedIn.body['principalToken']}` },
    });
    if (refreshed.status !== 200) return;
    const token = refreshed.body['principalToken'] as string;
    if (i % 2 === 1) {
      out.live.push(token);
      return;
    }
    const signedOut = await http(ctx.url, 'POST', `${base}/auth/logout`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (signedOut.status === 204) out.signedOut.push(token);
  });
}

/** spa: a user, /login (refresh cookie), /refresh, and every other time /logout. */
export function spaLoad(ctx: LoadContext, w: number, out: Acknowledged) {
  return loop(ctx, async (i) => {
    const user = await defaultUser(ctx, `spa${w}_${i}`);
    if (!user) return;
    out.created.push([user.email, user.password]);
    const signedIn = await http(ctx.url, 'POST', '/login', { json: user });
    const first = cookieOf(signedIn, 'it24_refresh_token');
    if (signedIn.status !== 200 || !first) return;
    const refreshed = await http(ctx.url, 'POST', '/refresh', { headers: { cookie: first } });
    const cookie = cookieOf(refreshed, 'it24_refresh_token');
    if (refreshed.status !== 200 || !cookie) return;
    if (i % 2 === 1) {
      out.live.push(cookie);
      return;
    }
    const signedOut = await http(ctx.url, 'POST', '/logout', { headers: { cookie } });
    if (signedOut.status === 200) out.signedOut.push(cookie);
  });
}

/** feathers: a sign-up (pending activation), a user's /auth/login, and every other time DELETE /authentication. */
export function feathersLoad(
  ctx: LoadContext,
  w: number,
  out: Acknowledged,
  pending: Acknowledged['created'],
) {
  // A sign-up is answered before its account is written (so that neither its timing nor the
  // delay of the next request says anything about the address): the write follows on the
  // server's next deferred-work tick. A kill in between loses it by design (the user signs up
  // again), so a sign-up counts as acknowledged only once the server shows it written: its own
  // password answers 'Not Activated', which only a stored pending account can say. No clock
  // is involved, so a slow tick on a busy machine cannot make a lost sign-up look acknowledged.
  const answered: Array<[string, string]> = [];
  return loop(ctx, async (i) => {
    const signup = { email: `signup${w}_${i}@example.com`, password: `signup-password-${w}-${i}` };
    if ((await http(ctx.url, 'POST', '/signup', { json: signup })).status === 201)
      answered.push([signup.email, signup.password]);
    const oldest = answered[0];
    if (oldest) {
      const probe = await http(ctx.url, 'POST', '/auth/login', {
        json: { email: oldest[0], password: oldest[1] },
      });
      if (probe.body['message'] === 'Not Activated') pending.push(answered.shift()!);
    }
    const user = await defaultUser(ctx, `fea${w}_${i}`);
    if (!user) return;
    out.created.push([user.email, user.password]);
    const signedIn = await http(ctx.url, 'POST', '/auth/login', { json: user });
    if (signedIn.status !== 201) return;
    const token = signedIn.body['token'] as string;
    if (i % 2 === 1) {
      out.live.push(token);
      return;
    }
    const signedOut = await http(ctx.url, 'DELETE', '/authentication', {
      headers: { authorization: `Bearer ${token}` },
    });
    if (signedOut.status === 200) out.signedOut.push(token);
  });
}

/**
 * Waits until `enough()` holds: the load runs until the writes the test needs exist, not
 * for a fixed time (on a busy machine a fixed time may hold too few of them). The deadline
 * (10 minutes: the whole test took 3 under a stress run on a loaded machine)
 * only catches a hang; `settled` ends the wait at once when every worker has stopped.
 */
export async function untilEnough(
  enough: () => boolean,
  describe: () => string,
  options: { settled: () => boolean; deadlineMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.deadlineMs ?? 600_000);
  while (!enough()) {
    if (options.settled()) assert.fail(`the load stopped before it had done enough: ${describe()}`);
    if (Date.now() > deadline) assert.fail(`the load did not do enough before the deadline: ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A bounded sample: every acknowledged sign-out, and enough of the rest to catch a lost write. */
const sample = <T>(items: T[]) => items.slice(0, 25);

export async function verifyApps(url: string, app: string, out: Acknowledged): Promise<void> {
  const base = `/api/v2/apps/${app}`;
  for (const [login, password] of sample(out.created)) {
    // 409: the login exists and its profile is still being provisioned; 401 would mean it was lost.
    const res = await http(url, 'POST', `${base}/auth/login`, { json: { login, password } });
    assert.ok([200, 409].includes(res.status), `acknowledged apps device ${login} is missing: ${res.status}`);
  }
  for (const token of out.signedOut) {
    const res = await http(url, 'POST', `${base}/auth/refresh`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 401, 'an acknowledged apps sign-out was lost');
  }
  for (const token of sample(out.live)) {
    const res = await http(url, 'POST', `${base}/auth/refresh`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200, `a live apps session was lost: ${JSON.stringify(res.body)}`);
  }
}

export async function verifySpa(url: string, out: Acknowledged): Promise<void> {
  for (const [email, password] of sample(out.created)) {
    const res = await http(url, 'POST', '/login', { json: { email, password } });
    assert.equal(res.status, 200, `acknowledged spa user ${email} is missing`);
  }
  for (const cookie of out.signedOut) {
    assert.equal(
      (await http(url, 'POST', '/refresh', { headers: { cookie } })).status,
      401,
      'an acknowledged spa sign-out was lost',
    );
  }
  for (const cookie of sample(out.live)) {
    const res = await http(url, 'POST', '/refresh', { headers: { cookie } });
    assert.equal(res.status, 200, `a live spa session was lost: ${JSON.stringify(res.body)}`);
  }
}

export async function verifyFeathers(
  url: string,
  out: Acknowledged,
  pending: Acknowledged['created'],
): Promise<void> {
  for (const [email, password] of sample(pending)) {
    // The right password of an account waiting for activation: 'Not Activated', not 'Invalid login'.
    const res = await http(url, 'POST', '/auth/login', { json: { email, password } });
    assert.equal(res.body['message'], 'Not Activated', `acknowledged feathers sign-up ${email} is missing`);
  }
  for (const [email, password] of sample(out.created)) {
    assert.equal((await http(url, 'POST', '/auth/login', { json: { email, password } })).status, 201);
  }
  const check = (accessToken: string) =>
    http(url, 'POST', '/authentication', { json: { strategy: 'jwt', accessToken } });
  for (const token of out.signedOut) {
    assert.equal((await check(token)).status, 401, 'an acknowledged feathers sign-out was lost');
  }
  for (const token of sample(out.live)) {
    assert.equal((await check(token)).status, 201, 'a live feathers session was lost');
  }
}
