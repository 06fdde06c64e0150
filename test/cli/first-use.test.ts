import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verify } from '@node-rs/argon2';
import Database from 'better-sqlite3';
import { CLI, runCli } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};

function storedHash(dbFile: string, username: string): string {
  const db = new Database(dbFile, { readonly: true });
  try {
    const row = db.prepare('SELECT password_hash FROM users WHERE username = ?').get(username) as
      | { password_hash: string }
      | undefined;
    assert.ok(row, `user ${username} exists`);
    return row.password_hash;
  } finally {
    db.close();
  }
}

describe('the CLI a new user meets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-first-'));
  const dbFile = join(dir, 'db.sqlite');
  const env = { DATABASE_URL: `sqlite:${dbFile}`, LATCHKEY_DATA_DIR: dir, LATCHKEY_SECRET: TEST_SECRET };

  test('--version prints the version of package.json', () => {
    const result = runCli(['--version']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${pkg.version}\n`);
  });

  test('npx latchkey works in a checkout (the package’s own bin, offline)', () => {
    const result = spawnSync('npx', ['--offline', 'latchkey', '--version'], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir() },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim().split('\n').at(-1), pkg.version);
  });

  test('npm run cli runs the built CLI without rebuilding; the build happens at install (prepare)', () => {
    assert.equal(pkg.scripts['cli'], 'node dist/src/cli/index.js');
    assert.match(pkg.scripts['prepare'] ?? '', /^tsc -p tsconfig\.json$/);
  });

  test('without --password, the password is the first line of standard input', async () => {
    const created = runCli(['user', 'create', '--username', 'piped', '--email', 'piped@acme.com'], {
      env,
      input: 'a-piped-passphrase-42\nignored second line\n',
    });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created user [0-9a-f]{24}$/m);
    assert.ok(await verify(storedHash(dbFile, 'piped'), 'a-piped-passphrase-42'));
    const empty = runCli(['user', 'create', '--username', 'nopass', '--email', 'nopass@acme.com'], {
      env,
      input: '',
    });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^latchkey: no password given/);
  });

  test('on a terminal, the password is prompted for and never echoed', async () => {
    const command = [
      process.execPath,
      CLI,
      'user',
      'create',
      '--username',
      'typed',
      '--email',
      'typed@acme.com',
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    // script(1) gives the CLI a real pseudo-terminal, echo on, as a shell would.
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env['PATH'] ?? '', TERM: 'dumb', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const prompted = new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        output += String(d);
        if (output.includes('Password for the new user: ')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await prompted;
    child.stdin.write('typed-secret-phrase-7\r');
    const code = await exited;
    assert.equal(code, 0, output);
    assert.match(output, /created user [0-9a-f]{24}/);
    assert.doesNotMatch(output, /typed-secret-phrase-7/);
    assert.ok(await verify(storedHash(dbFile, 'typed'), 'typed-secret-phrase-7'));
  });

  test('user create names every missing or invalid field at once', () => {
    const none = runCli(['user', 'create'], { env, input: '' });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /--email is required/);
    assert.match(none.stderr, /--username is required/);
    const bad = runCli(
      ['user', 'create', '--username', 'root', '--email', 'not-an-address', '--password', 'short'],
      {
        env,
      },
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--email: "not-an-address" is not an email address/);
    assert.match(bad.stderr, /--username: Username "root" is reserved/);
    assert.match(bad.stderr, /--password: Password must be between 8 and 1024/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, `one line, got: ${bad.stderr}`);
  });

  test("the README's CLI table lists every command", () => {
    const help = runCli(['--help']);
    const commands = [...help.stdout.split('Commands:')[1]!.matchAll(/^ {2}([a-z-]+)/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help');
    assert.ok(commands.length >= 9, help.stdout);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## CLI'), readme.indexOf('## Operations endpoints'));
    const firstCells = [...section.matchAll(/^\| `([a-z-]+)/gm)].map((m) => m[1]);
    for (const command of commands) assert.ok(firstCells.includes(command), `README lists ${command}`);
  });
});
