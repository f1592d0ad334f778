// The app-command step (release command, hooks) run by remote/phase.sh's
// dp_app in a real bash: the NAME=VALUE arguments reach the user's command
// as environment variables, after the release's .appenv, and their values are
// never shell text (quotes, $(…), newlines stay data).
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderScript } from '../../src/remote/phaseScript.js';
import { tempDir } from '../helpers/tmp.js';

function release() {
  const d = tempDir('deployer-app-env-');
  const rel = join(d, 'current');
  mkdirSync(rel);
  writeFileSync(join(rel, '.appenv'), 'FROM_APPENV=yes\nDEPLOYER_OUTCOME=from-appenv\n');
  const run = (command: string, env?: Record<string, string>) =>
    spawnSync('bash', ['-s'], {
      input: renderScript({
        phaseLock: join(d, 'phase.lock'),
        steps: [{ kind: 'app-command', command, releaseDir: rel, desc: 'always hook', env }],
      }),
      encoding: 'utf8',
    });
  return { d, rel, run };
}

test('dp_app exports the NAME=VALUE arguments after .appenv, values kept as data', () => {
  const r0 = release();
  const nasty = `1.0.0'; touch ${join(r0.d, 'pwned')}; echo '$(touch ${join(r0.d, 'pwned2')})\nsecond line`;
  const r = r0.run('printf "%s|%s|%s|%s" "$DEPLOYER_VERSION" "$DEPLOYER_OUTCOME" "$FROM_APPENV" "$PWD" > out.txt', {
    DEPLOYER_VERSION: nasty,
    DEPLOYER_OUTCOME: 'failure',
  });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.equal(readFileSync(join(r0.rel, 'out.txt'), 'utf8'), `${nasty}|failure|yes|${r0.rel}`);
  assert.equal(existsSync(join(r0.d, 'pwned')), false);
  assert.equal(existsSync(join(r0.d, 'pwned2')), false);
});

test('dp_app without NAME=VALUE arguments runs the command with the .appenv only; a bad name fails the step', () => {
  const r0 = release();
  const r = r0.run('printf "%s" "${DEPLOYER_VERSION-unset} $FROM_APPENV" > out.txt');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.equal(readFileSync(join(r0.rel, 'out.txt'), 'utf8'), 'unset yes');
  const bad = r0.run('touch ran', { 'BAD NAME': 'x' });
  assert.notEqual(bad.status, 0);
  assert.equal(existsSync(join(r0.rel, 'ran')), false);
});
