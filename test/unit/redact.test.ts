// Redaction of streamed output: a secret cut in two by an SSH packet or a
// pipe read is still redacted (remote stderr, build output, very long lines),
// and which literal env values count as secrets.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redactor } from '../../src/output/redact.js';
import { Reporter, type Writer } from '../../src/output/reporter.js';
import { RemoteHost } from '../../src/exec/remote.js';
import { runLocalCommand } from '../../src/local/build.js';
import { literalSecrets } from '../../src/secrets/index.js';
import { resolveHostEnv } from '../../src/deploy/releaseFiles.js';
import type { SshSession, ExecOptions } from '../../src/ssh/session.js';
import type { Config, HostConfig } from '../../src/config/types.js';
import { tempDir } from '../helpers/tmp.js';

const SECRET = 'hunter2-s3cr3t-value-0123456789';

function capture(): Writer & { text: string } {
  const w = { text: '', write: (s: string) => void (w.text += s) };
  return w;
}

/** A session whose script writes `chunks` to stderr, one SSH packet each. */
function fakeSession(chunks: string[]): SshSession {
  return {
    host: { name: 'h1' },
    async execScript(_script: string, opts: Omit<ExecOptions, 'stdin'> = {}) {
      for (const c of chunks) opts.onStderr?.(c);
      return { code: 1, stdout: '', stderr: chunks.join('') };
    },
  } as unknown as SshSession;
}

test('remote stderr: a secret straddling two SSH packets is redacted in --json debug events', async () => {
  const out = capture();
  const reporter = new Reporter({ json: true, stdout: out, stderr: capture() });
  reporter.redactor.add(SECRET);
  const pad = 'x'.repeat(16 * 1024 - 10);
  const chunks = [`${pad}${SECRET.slice(0, 10)}`, `${SECRET.slice(10)} and more\nlast line without newline`];
  await new RemoteHost(fakeSession(chunks), reporter).runScript({ name: 'prepare', steps: [] } as never);
  assert.ok(!out.text.includes(SECRET.slice(0, 10) + '"') && !out.text.includes(SECRET.slice(10)), 'no half of the secret may be printed');
  assert.match(out.text, /\[REDACTED\] and more/);
  assert.match(out.text, /last line without newline/, 'the final partial line is flushed at the end of the stream');
});

test('a line longer than the bound is cut only where no secret straddles the cut', () => {
  const r = new Redactor();
  r.add(SECRET);
  const got: string[] = [];
  const sink = r.lines((t) => got.push(t), 1000);
  // Secrets at every offset around the would-be cut points, no newline at all.
  let text = '';
  for (let i = 0; i < 400; i++) text += 'y'.repeat(i % 37) + SECRET;
  for (let i = 0; i < text.length; i += 333) sink.push(text.slice(i, i + 333));
  sink.flush();
  assert.ok(got.length > 5, 'long lines are handed on before the stream ends');
  const all = got.join('');
  assert.ok(!all.includes(SECRET.slice(0, 8)) && !all.includes(SECRET.slice(-8)), 'no piece of a secret');
  assert.equal(all, text.split(SECRET).join('[REDACTED]'), 'nothing lost, nothing duplicated');
});

test('build output: a secret written in two pieces by the build is redacted', async () => {
  const out = capture();
  const reporter = new Reporter({ json: true, stdout: out, stderr: capture() });
  reporter.redactor.add(SECRET);
  const dir = tempDir('deployer-redact-');
  writeFileSync(
    join(dir, 'build.sh'),
    `printf '%s' "${SECRET.slice(0, 12)}"; sleep 0.3; printf '%s\\n' "${SECRET.slice(12)}"; printf 'tail-no-newline'\n`,
  );
  await runLocalCommand({
    command: 'bash build.sh',
    what: 'build_command',
    cwd: dir,
    env: { PATH: process.env.PATH },
    timeoutSec: 20,
    reporter,
  });
  assert.ok(!out.text.includes(SECRET.slice(0, 12)) && !out.text.includes(SECRET.slice(12)), out.text);
  assert.match(out.text, /\[REDACTED\]/);
  assert.match(out.text, /tail-no-newline/);
});

test('literal env values are secrets unless public, short, numeric or boolean', () => {
  const entries = [
    { key: 'API_TOKEN', value: 'tok-abcdef123' },
    { key: 'DEBUG', value: 'true' },
    { key: 'WORKERS', value: '4' },
    { key: 'PORT_BIG', value: '1234567' },
    { key: 'LEVEL', value: 'info' },
    { key: 'SHORTPW', value: 'abc12' },
    { key: 'SETTINGS', value: 'myapp.settings' },
    { key: 'REF', value: '$SOME_SECRET' },
    { key: 'DOLLAR', value: '$$literal-dollar' },
  ];
  assert.deepEqual(literalSecrets(entries, ['SETTINGS']), ['tok-abcdef123', '$literal-dollar']);
  assert.deepEqual(literalSecrets(entries), ['tok-abcdef123', 'myapp.settings', '$literal-dollar']);
});

test('resolving a host env registers its literal secret values with the redactor', async () => {
  const config = {
    env: 'API_TOKEN=tok-abcdef123\nDEBUG=true\nNAME=public-name-value',
    publicEnv: ['NAME'],
    root: '/nonexistent',
    file: 'deployer.toml',
    secrets: { adapter: 'system', options: {} },
  } as unknown as Config;
  const r = new Redactor();
  await resolveHostEnv(config, { name: 'h1' } as HostConfig, {}, r);
  assert.equal(r.redact('token tok-abcdef123, debug true, name public-name-value'), 'token [REDACTED], debug true, name public-name-value');
});

test('values the config shows in clear are printed whole; a secret reaching beyond them is still redacted', () => {
  const r = new Redactor();
  r.keep(['mysite.test', 'https://mysite.test', 'mysite', 'gunicorn mysite.wsgi --bind 127.0.0.1:$PORT']);
  r.add('mysite.test'); // ALLOWED_HOSTS=mysite.test
  r.add('dbname'); // a secret of its own
  r.add('django-insecure-mysite.test-0123'); // SECRET_KEY that contains the domain
  r.add('test-yy-secret'); // starts inside the domain, ends outside it
  assert.equal(r.redact('mysite 1.4.0: http://mysite.test/'), 'mysite 1.4.0: http://mysite.test/');
  assert.equal(r.redact('ALLOWED_HOSTS is mysite.test'), 'ALLOWED_HOSTS is mysite.test');
  assert.equal(r.redact('key django-insecure-mysite.test-0123 on mysite.test'), 'key [REDACTED] on mysite.test');
  assert.equal(r.redact('at mysite.test-yy-secret'), 'at mysite.[REDACTED]');
  assert.equal(
    r.redact('db dbname, web gunicorn mysite.wsgi --bind 127.0.0.1:$PORT'),
    'db [REDACTED], web gunicorn mysite.wsgi --bind 127.0.0.1:$PORT',
  );
  assert.equal(r.redact('mysite.testmysite.test'), 'mysite.testmysite.test');
});

test('a secret inside a command shown in clear is printed with the command, and redacted anywhere else', () => {
  const r = new Redactor();
  r.add('tok-abcdef123');
  r.keep(['./notify.sh --token tok-abcdef123']);
  assert.equal(r.redact('hook ./notify.sh --token tok-abcdef123 failed'), 'hook ./notify.sh --token tok-abcdef123 failed');
  assert.equal(r.redact('notify: bad token tok-abcdef123'), 'notify: bad token [REDACTED]');
});

test('a host env: literal values equal to or inside clear config values (domains, app, stage, host) stay in clear', async () => {
  const config = {
    app: 'mysite',
    appName: 'mysite-production',
    stage: 'production',
    env: [
      'ALLOWED_HOSTS=mysite.test',
      'HOSTS_LIST=mysite.test,www.mysite.test',
      'CSRF_TRUSTED_ORIGINS=https://www.mysite.test',
      'ENVIRONMENT=production',
      'DEPLOY_HOST=web1.example.net',
      'SECRET_KEY=django-insecure-mysite.test-0123',
    ].join('\n'),
    publicEnv: [],
    root: '/nonexistent',
    file: 'deployer.toml',
    hosts: [{ name: 'web1.example.net', address: '203.0.113.10', user: 'deploy', domains: ['www.mysite.test'] }],
    webserver: { enabled: true, domains: ['mysite.test'], upstream: '127.0.0.1:8000', statics: {} },
    healthCheck: {},
    hooks: {},
    processes: [],
    secrets: { adapter: 'system', options: { project: 'not-a-secret' } },
  } as unknown as Config;
  const r = new Redactor();
  await resolveHostEnv(config, config.hosts[0], {}, r);
  const line = 'mysite-production 1.4.0: https://mysite.test/ https://www.mysite.test/ on web1.example.net (stage production)';
  assert.equal(r.redact(line), line);
  assert.equal(r.redact('secret django-insecure-mysite.test-0123'), 'secret [REDACTED]');
  assert.equal(r.redact('hosts mysite.test,www.mysite.test'), 'hosts [REDACTED]', 'a list is a value of its own, redacted whole');
});
