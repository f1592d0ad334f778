// CI output without a host: GitHub annotations (also under --json), their
// single-line encoding, no colour without a TTY, and the failure summary.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { encodeAnnotation, Reporter, type Writer } from '../../src/output/reporter.js';
import { renderFailureSummary } from '../../src/deploy/summary.js';
import { createContext, isCI } from '../../src/context.js';

function capture(): Writer & { text: string } {
  const w = { text: '', write: (s: string) => void (w.text += s) };
  return w;
}

test('encodeAnnotation keeps a workflow command on one line and escapes %', () => {
  assert.equal(encodeAnnotation('50% done\r\nnext'), '50%25 done%0D%0Anext');
});

test('in GitHub Actions a failure is an ::error annotation before the plain lines', () => {
  const out = capture();
  const err = capture();
  new Reporter({ github: true, stdout: out, stderr: err }).fail('deploy failed\nsecond line', 'pass --yes');
  const lines = err.text.split('\n');
  assert.equal(lines[0], '::error title=deployer::deploy failed%0Asecond line%0Ahint: pass --yes');
  assert.equal(lines[1], '✗ deploy failed');
  assert.equal(out.text, '');
});

test('with --json in GitHub Actions stdout stays JSON and the annotation still goes to stderr', () => {
  const out = capture();
  const err = capture();
  const r = new Reporter({ json: true, github: true, stdout: out, stderr: err });
  r.info('hello');
  r.fail('boom', 'a hint');
  const events = out.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    events.map((e) => e.type),
    ['log', 'error'],
  );
  assert.equal(events[1].hint, 'a hint');
  assert.equal(err.text, '::error title=deployer::boom%0Ahint: a hint\n');
});

test("error and warning logs are annotated; a host's error once, titled with the host, by the end of the command", () => {
  const err = capture();
  const r = new Reporter({ github: true, stdout: capture(), stderr: err });
  r.error('health check failed: 100% broken', 'web1');
  r.error('and again', 'web1');
  r.error('not a host');
  r.warn('slow');
  r.finish(7, 'deploy');
  assert.deepEqual(
    err.text.split('\n').filter((l) => l.startsWith('::')),
    ['::error::not a host', '::warning::slow', '::error title=deployer: web1::health check failed: 100%25 broken'],
  );
});

test('secrets are redacted from annotations too', () => {
  const err = capture();
  const r = new Reporter({ github: true, stdout: capture(), stderr: err });
  r.redactor.add('s3cr3t-value');
  r.fail('bad value s3cr3t-value');
  assert.match(err.text, /^::error title=deployer::bad value \[REDACTED\]$/m);
  assert.doesNotMatch(err.text, /s3cr3t-value/);
});

test('CI=true means no colour and no questions even on a terminal', () => {
  const tty = { isTTY: true } as unknown;
  const proc = { env: { CI: 'true' }, stdin: tty, stdout: tty, stderr: tty, cwd: () => '/tmp' } as unknown as NodeJS.Process;
  const ctx = createContext({ config: 'deployer.toml' }, proc);
  assert.equal(ctx.interactive, false);
  // Every stream is a terminal, yet CI=true: no colour, no progress bar.
  assert.equal((ctx.reporter as unknown as { color: boolean }).color, false);
  assert.equal((ctx.reporter as unknown as { tty: boolean }).tty, false);
  assert.equal(isCI({ CI: 'false' }), false);
  assert.equal(isCI({ GITHUB_ACTIONS: 'true' }), true);
});

test('a deploy that failed before the verdict gets a FAILED summary with the reason in a code block', () => {
  const md = renderFailureSummary('blog', '1.2.3', 'build_command failed with ```exit 1```', 'run it by hand');
  assert.equal(md, "### deployer: blog 1.2.3 FAILED\n\n```\nbuild_command failed with '''exit 1'''\n```\n\nhint: run it by hand\n");
});

test('a config error with several problems: one ::error annotation per problem, one ✗ line each', () => {
  const err = capture();
  const problems = [
    'deployer.toml:3:1: hosts[0].port must be an integer. Fix: write port = 22.',
    'deployer.toml:9:5: app.name is required. Fix: write name = "hello".',
    '(stopped after 20 problems; fix these and run again to see the rest)',
  ];
  new Reporter({ github: true, stdout: capture(), stderr: err }).fail(problems.join('\n'), 'see docs', undefined, {
    exitCode: 2,
    problems,
  });
  const lines = err.text.trimEnd().split('\n');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('::error')),
    [
      '::error file=deployer.toml,line=3,col=1,title=deployer::hosts[0].port must be an integer. Fix: write port = 22.',
      '::error file=deployer.toml,line=9,col=5,title=deployer::app.name is required. Fix: write name = "hello".',
      '::error title=deployer::(stopped after 20 problems; fix these and run again to see the rest)%0Ahint: see docs',
    ],
  );
  assert.deepEqual(
    lines.filter((l) => !l.startsWith('::')),
    [...problems.map((p) => `✗ ${p}`), 'hint: see docs'],
  );
});
