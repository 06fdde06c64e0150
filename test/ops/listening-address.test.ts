import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServerProcess } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';

/** The JSON lines of a server's output that carry a mail of the log transport. */
function mails(output: string): Array<{ to: string; subject: string; text: string }> {
  return output
    .split('\n')
    .filter((line) => line.includes('"mail":'))
    .map((line) => (JSON.parse(line) as { mail: { to: string; subject: string; text: string } }).mail);
}

test('without LATCHKEY_PUBLIC_URL, mail links and the same-origin check follow HOST and PORT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-listen-'));
  const server = await startServerProcess({
    DATABASE_URL: `sqlite:${join(dir, 'db')}`,
    LATCHKEY_DATA_DIR: dir,
    LATCHKEY_SECRET: TEST_SECRET,
  });
  try {
    const signup = await fetch(`${server.url}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'grace@navy.example', password: 'a long enough password' }),
    });
    assert.equal(signup.status, 201);
    // The mail is sent after the answer: wait for it (bounded), not for a fixed time.
    const deadline = Date.now() + 15_000;
    while (mails(server.output()).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const [mail] = mails(server.output());
    assert.ok(mail, server.output());
    assert.equal(mail.to, 'grace@navy.example');
    assert.ok(mail.text.includes(`${server.url}/activate?token=`), mail.text);
    // Named after the service (the issuer), not the app's bare name `default`; the lifetime in days.
    assert.equal(mail.subject, 'Activate your latchkey account');
    assert.ok(mail.text.includes('It expires in 2 days and works once.'), mail.text);

    // A page served from the server's own address may call the spa routes (no 403 cross-site).
    const login = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ email: 'nobody@navy.example', password: 'not the password' }),
    });
    assert.equal(login.status, 401);

    // Every line on standard output is JSON, the mail included.
    const stdoutLines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    assert.ok(stdoutLines.length > 2);
    assert.doesNotMatch(server.output(), /--- mail|end of mail/);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});
