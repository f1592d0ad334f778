// Ctrl-C during a deploy: the message names the stage from the phase events
// and each host's state; the first SIGINT rejects with exit code 130, a
// second one exits at once.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describeInterruption, watchInterrupt } from '../../src/deploy/interrupt.js';
import type { DeployerEvent } from '../../src/output/events.js';

const done = (phase: string): DeployerEvent => ({ type: 'phase', phase, status: 'done' });

test('each stage of a deploy gets its own account of the hosts', () => {
  const hosts = ['h1', 'h2'];
  const build = describeInterruption([], hosts, '1.2.0');
  assert.equal(build.exitCode, 130);
  assert.equal(build.message, 'interrupted (Ctrl-C) during the local build; nothing was changed on any host');
  assert.equal(build.details, 'h1: untouched\nh2: untouched');

  const uploading = describeInterruption(
    [
      done('build'),
      done('lock'),
      { type: 'upload', host: 'h1', file: 'artifact', bytes: 45, total: 100 },
      { type: 'upload', host: 'h2', file: 'artifact', bytes: 100, total: 100 },
    ],
    hosts,
    '1.2.0',
  );
  assert.equal(
    uploading.message,
    'interrupted (Ctrl-C) during the upload; nothing was switched: every host keeps serving its live release',
  );
  assert.equal(
    uploading.details,
    'h1: nothing switched; artifact was 45% sent, kept on the host so the next deploy of 1.2.0 sends only the rest\nh2: nothing switched; uploads done',
  );
  assert.match(uploading.hint!, /deploy 1\.2\.0 again/);

  const switching = describeInterruption([done('build'), done('lock'), done('upload'), done('prepare')], hosts, '1.2.0');
  assert.match(switching.message, /during the switch; hosts without a verdict revert/);
  assert.match(switching.details!, /^h1: reverting to the previous release/);
});

test('the first SIGINT rejects with the description, a second exits 130 at once, dispose removes the handler', async () => {
  const proc = Object.assign(new EventEmitter(), { exit: (code: number) => exits.push(code) }) as unknown as NodeJS.Process;
  const exits: number[] = [];
  const w = watchInterrupt(proc, () => describeInterruption([], ['h1'], '1.0.0'));
  proc.emit('SIGINT');
  await assert.rejects(w.interrupted, (e: Error & { exitCode?: number }) => e.exitCode === 130 && /interrupted/.test(e.message));
  proc.emit('SIGINT');
  assert.deepEqual(exits, [130]);
  w.dispose();
  assert.equal(proc.listenerCount('SIGINT'), 0);
});

test('SIGTERM (a cancelled CI job) interrupts the same way, and says which signal it was; dispose removes both handlers', async () => {
  const proc = Object.assign(new EventEmitter(), { exit: () => undefined }) as unknown as NodeJS.Process;
  const w = watchInterrupt(proc, (signal) => describeInterruption([], ['h1'], '1.0.0', { signal }));
  proc.emit('SIGTERM');
  await assert.rejects(
    w.interrupted,
    (e: Error & { exitCode?: number }) => e.exitCode === 130 && /^interrupted \(SIGTERM\) during the local build/.test(e.message),
  );
  w.dispose();
  assert.equal(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM'), 0);
});
