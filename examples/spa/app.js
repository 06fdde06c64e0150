// A minimal SPA for Latchkey's spa dialect. The access token lives in memory only; the
// refresh token is an HttpOnly cookie this script never sees. `?api=<origin>` points it at
// a Latchkey on another origin (listed in spa.allowedOrigins); by default it is this one.
const params = new URLSearchParams(location.search);
const api = params.get('api') ?? '';
const rpc = `${api}${params.get('rpc') ?? '/api'}`;
let accessToken = null;
let refreshes = 0;

const $ = (id) => document.getElementById(id);
const show = (text) => {
  $('status').textContent = text;
};

async function post(path, body) {
  try {
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      credentials: 'include', // send and receive the refresh cookie, also cross-origin
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    return { status: 0, body: null }; // refused by CORS, or the network
  }
}

async function signIn(email, password) {
  const res = await post('/login', { email, password });
  if (res.status !== 200) return show(`sign-in failed: ${res.status}`);
  if (res.body.mfa) {
    // A second factor is due: Latchkey's hosted page sends the browser back with #sigResponse=…
    const back = location.href.split('#')[0];
    const { host, request } = res.body.mfa;
    location.assign(`${host}?request=${encodeURIComponent(request)}&return=${encodeURIComponent(back)}`);
    return;
  }
  accessToken = res.body.accessToken;
  show('signed in');
}

async function verify(sigResponse) {
  const res = await post('/login/verify', { sigResponse });
  if (res.status !== 200) return show(`verification failed: ${res.status}`);
  accessToken = res.body.accessToken;
  show('signed in with a second factor');
}

async function refresh() {
  const res = await post('/refresh');
  $('refreshes').textContent = String(++refreshes);
  accessToken = res.status === 200 ? res.body.accessToken : null;
  show(accessToken ? 'refreshed' : `refresh failed: ${res.status}`);
  return accessToken !== null;
}

// Calls an authenticated API of Latchkey (rpc user.info); an expired token is refreshed once.
async function whoAmI(retried = false) {
  if (!accessToken && !(await refresh())) return null;
  let body;
  try {
    const res = await fetch(`${rpc}/user.info`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    body = await res.json();
  } catch {
    // rpc answers no CORS: from another origin, reach Latchkey through this page's own (serve.mjs).
    show('the API is not reachable from this origin');
    return null;
  }
  if (body.ok) {
    $('user').textContent = body.user.username ?? body.user.id;
    show('called the API');
    return body.user;
  }
  if (!retried && (await refresh())) return whoAmI(true);
  show('the API refused');
  return null;
}

async function signOut() {
  await post('/logout');
  accessToken = null;
  $('user').textContent = '';
  show('signed out');
}

$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  signIn($('email').value, $('password').value);
});
$('whoami').addEventListener('click', () => whoAmI());
$('refresh').addEventListener('click', () => refresh());
$('sign-out').addEventListener('click', () => signOut());

// Back from the hosted MFA page: take the answer out of the address bar, then redeem it.
const fragment = new URLSearchParams(location.hash.slice(1));
let verifying = null;
if (fragment.has('sigResponse')) {
  history.replaceState(null, '', location.pathname + location.search);
  verifying = verify(fragment.get('sigResponse'));
}

// On load, the cookie may still hold a session (a reload, a new tab): ask for an access token
// once (docs/spa.md). A 401 just means "signed out". A sign-in made meanwhile is kept.
async function restore() {
  const res = await post('/refresh');
  if (accessToken !== null) return;
  accessToken = res.status === 200 ? res.body.accessToken : null;
  show(accessToken ? 'signed in' : 'signed out');
}

// Settles once the page knows whether it is signed in (scripts and the test suite wait for it).
const ready = verifying ?? restore();

window.demo = { signIn, refresh, whoAmI, signOut, ready };
