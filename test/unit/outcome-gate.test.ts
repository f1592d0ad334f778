// The blue-green gate's account in a deploy's result: remote/web.sh prints
// "@@web-healthy FIRST_MS STABLE_MS UNIT...", the result carries appAnsweredMs.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { appAnswered } from '../../src/deploy/outcome.js';

test('appAnsweredMs is the first number of the gate marker, absent without one or when it is not a count', () => {
  assert.deepEqual(appAnswered('22 203 shop-web@8001.service shop-web@8002.service'), { appAnsweredMs: 22 });
  assert.deepEqual(appAnswered('0 200 shop-web@8001.service'), { appAnsweredMs: 0 });
  assert.deepEqual(appAnswered(undefined), {});
  assert.deepEqual(appAnswered('shop-web@8001.service'), {});
  assert.deepEqual(appAnswered('-5 200 x'), {});
});
