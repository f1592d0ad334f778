// bw, op and doppler stood in for by small shell scripts first on PATH, run
// through the real runLocalCommand (execa, no shell).
import { after, before, test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveEnv } from '../../src/secrets/resolve.js';
import { runLocalCommand } from '../../src/secrets/runCommand.js';
import { LocalCommandError } from '../../src/errors.js';
import type { SecretAdapterName } from '../../src/config/types.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
let slowDir: string;
let log: string;

function writeFake(folder: string, name: string, body: string): void {
  const file = join(folder, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

// Each fake knows one name; for any other it prints a decoy on stdout, a
// reason on stderr and fails, as the real CLIs do for a missing item.
const FAIL = `echo "decoy-stdout-$NAME"; echo "Not found." >&2; exit 1`;

before(() => {
  dir = tempDir('deployer-fakecli-');
  writeFake(
    dir,
    'bw',
    `NAME="$3"
[ "$1 $2 $4" = "get password --nointeraction" ] || { echo "bad args: $*" >&2; exit 2; }
[ "$BW_SESSION" = "sess-ok" ] || { echo "You are not logged in." >&2; exit 1; }
if [ "$NAME" = "db-item" ]; then printf 'bw-db-secret'; else ${FAIL}; fi`,
  );
  writeFake(
    dir,
    'op',
    `NAME="$2"
if [ "$NAME" = "op://prod/db/password" ]; then printf 'op-line-1\\nop-line-2\\n'; else ${FAIL}; fi`,
  );
  writeFake(
    dir,
    'doppler',
    `NAME="$3"
[ "$5 $6 $7 $8" = "--project web --config prd" ] || { echo "bad scope: $*" >&2; exit 2; }
if [ "$NAME" = "API_KEY" ]; then echo 'doppler-api-secret'; else ${FAIL}; fi`,
  );

  // The slow one records when each call starts and ends, to prove overlap.
  slowDir = tempDir('deployer-slowcli-');
  log = join(slowDir, 'calls.log');
  writeFake(
    slowDir,
    'doppler',
    `echo "start $3 $(date +%s%N)" >> "$FAKE_LOG"
sleep 0.5
echo "end $3 $(date +%s%N)" >> "$FAKE_LOG"
echo "slow-$3"`,
  );
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(slowDir, { recursive: true, force: true });
});

function run(adapter: SecretAdapterName, value: string, env: NodeJS.ProcessEnv = {}, options: Record<string, string> = {}) {
  return resolveEnv([{ key: 'APP_SECRET', value }], {
    adapter,
    options,
    env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
    runCommand: runLocalCommand,
  });
}

/** The error names the key, the reference and the adapter, and holds no secret or stdout. */
function cliFailure(adapter: string, ref: string, reason: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof LocalCommandError, String(err));
    const text = [err.message, err.hint, err.details].join('\n');
    assert.ok(err.message.startsWith(`cannot resolve APP_SECRET=${ref} with the ${adapter} adapter: `), err.message);
    assert.match(err.message, reason);
    assert.doesNotMatch(text, /decoy-stdout|bw-db-secret|op-line|doppler-api-secret/);
    return true;
  };
}

const DOPPLER_SCOPE = { project: 'web', config: 'prd' };

test('bitwarden fake: known item resolves, unknown item fails naming key and adapter', async () => {
  const ok = await run('bitwarden', '$db-item', { BW_SESSION: 'sess-ok' });
  assert.deepEqual(ok, { entries: [{ key: 'APP_SECRET', value: 'bw-db-secret' }], secrets: ['bw-db-secret'] });
  await assert.rejects(
    run('bitwarden', '${other item}', { BW_SESSION: 'sess-ok' }),
    cliFailure('bitwarden', '${other item}', /bw exited with code 1: Not found\./),
  );
});

test('1password fake: op read resolves a multi-line secret, unknown reference fails', async () => {
  const ok = await run('1password', '${op://prod/db/password}');
  assert.deepEqual(ok.entries, [{ key: 'APP_SECRET', value: 'op-line-1\nop-line-2' }]);
  await assert.rejects(
    run('1password', '${op://prod/db/other}'),
    cliFailure('1password', '${op://prod/db/other}', /op exited with code 1: Not found\./),
  );
});

test('doppler fake: project and config are passed, unknown name fails', async () => {
  const ok = await run('doppler', '$API_KEY', {}, DOPPLER_SCOPE);
  assert.deepEqual(ok.entries, [{ key: 'APP_SECRET', value: 'doppler-api-secret' }]);
  await assert.rejects(
    run('doppler', '$NOT_THERE', {}, DOPPLER_SCOPE),
    cliFailure('doppler', '$NOT_THERE', /doppler exited with code 1: Not found\./),
  );
});

test('a CLI missing from PATH is named', async () => {
  await assert.rejects(
    resolveEnv([{ key: 'APP_SECRET', value: '$API_KEY' }], {
      adapter: 'doppler',
      options: {},
      env: { PATH: join(slowDir, 'nowhere') },
      runCommand: runLocalCommand,
    }),
    (err: unknown) =>
      err instanceof LocalCommandError && /doppler was not found on PATH/.test(err.message) && /Doppler CLI/.test(err.hint ?? ''),
  );
});

test('references are resolved in parallel: every call starts before any ends', async () => {
  writeFileSync(log, '');
  const r = await resolveEnv(
    [
      { key: 'A', value: '$ONE' },
      { key: 'B', value: '$TWO' },
      { key: 'C', value: '$THREE' },
    ],
    { adapter: 'doppler', options: {}, env: { PATH: `${slowDir}:/usr/bin:/bin`, FAKE_LOG: log }, runCommand: runLocalCommand },
  );
  assert.deepEqual(
    r.entries.map((e) => e.value),
    ['slow-ONE', 'slow-TWO', 'slow-THREE'],
  );
  const events = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  const starts = events.filter((e) => e[0] === 'start').map((e) => BigInt(e[2]));
  const ends = events.filter((e) => e[0] === 'end').map((e) => BigInt(e[2]));
  assert.equal(starts.length, 3);
  assert.equal(ends.length, 3);
  const lastStart = starts.reduce((a, b) => (a > b ? a : b));
  const firstEnd = ends.reduce((a, b) => (a < b ? a : b));
  // Run one after another, the second call would start after the first ended.
  assert.ok(lastStart < firstEnd, `calls did not overlap: last start ${lastStart}, first end ${firstEnd}`);
});
