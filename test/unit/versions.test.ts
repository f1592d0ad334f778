import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { formatVersions, lastGood, parseVersions, recordRelease, selectPrune, type ReleaseRecord } from '../../src/plan/versions.js';
import { releaseRecord } from '../helpers/remoteState.js';

const rec = releaseRecord;

test('.versions round-trips, newest first', () => {
  const records = recordRelease(recordRelease([rec('1')], rec('2', 'failed')), rec('3'));
  const back = parseVersions(formatVersions(records));
  assert.deepEqual(
    back.map((r) => [r.version, r.status]),
    [
      ['3', 'good'],
      ['2', 'failed'],
      ['1', 'good'],
    ],
  );
  assert.equal(lastGood(back, '3')?.version, '1');
});

test('recording a version again moves it to the top without a duplicate', () => {
  const records = recordRelease([rec('2'), rec('1')], rec('1'));
  assert.deepEqual(
    records.map((r) => r.version),
    ['1', '2'],
  );
});

test('prune keeps N newest, never current or last good, drops failed first', () => {
  const records = [rec('5', 'failed'), rec('4', 'failed'), rec('3'), rec('2'), rec('1')];
  // current is 5 (a failed release still live is impossible, but current must survive anyway)
  assert.deepEqual(selectPrune({ dirs: ['1', '2', '3', '4', '5'], records, current: '3', keep: 2 }).sort(), ['1', '4', '5']);
  // keep 1: current and last good are both kept even so
  const r2 = [rec('7', 'failed'), rec('6'), rec('5')];
  assert.deepEqual(selectPrune({ dirs: ['5', '6', '7'], records: r2, current: '5', keep: 1 }).sort(), ['7']);
});

test('prune removes directories with no record (interrupted deploys) before good ones', () => {
  const records = [rec('3'), rec('2'), rec('1')];
  assert.deepEqual(selectPrune({ dirs: ['1', '2', '3', 'x'], records, current: '3', keep: 3 }), ['x']);
});

test('five good deploys with keep 3 leave the three newest', () => {
  let records: ReleaseRecord[] = [];
  for (const v of ['1', '2', '3', '4', '5']) records = recordRelease(records, rec(v));
  assert.deepEqual(selectPrune({ dirs: ['1', '2', '3', '4', '5'], records, current: '5', keep: 3 }).sort(), ['1', '2']);
});
