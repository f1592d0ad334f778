// The unified diff of `plan`: exact text for known cases (checked against GNU
// `diff -u`), and on random inputs, applying the hunks to the old text must
// give the new text back.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { unifiedDiff } from '../../src/plan/diff.js';

const labels = { from: 'a', to: 'b' };
const lines = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');

test('equal texts give an empty diff', () => {
  assert.equal(unifiedDiff('x\ny\n', 'x\ny\n', labels), '');
});

test('one changed line: three lines of context, diff -u headers', () => {
  const before = lines(10);
  const after = before.replace('5\n', 'five\n');
  assert.equal(
    unifiedDiff(before, after, labels),
    ['--- a', '+++ b', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8', ''].join('\n'),
  );
});

test('changes 6 unchanged lines apart share a hunk, 7 apart do not (as diff -u)', () => {
  const before = lines(16);
  const one = unifiedDiff(before, before.replace(/^2$/m, 'X').replace(/^9$/m, 'Y'), labels);
  assert.deepEqual(
    one.split('\n').filter((l) => l.startsWith('@@')),
    ['@@ -1,12 +1,12 @@'],
  );
  const two = unifiedDiff(before, before.replace(/^2$/m, 'X').replace(/^10$/m, 'Y'), labels);
  assert.deepEqual(
    two.split('\n').filter((l) => l.startsWith('@@')),
    ['@@ -1,5 +1,5 @@', '@@ -7,7 +7,7 @@'],
  );
});

test('added and removed files are numbered from 0, as diff -u does', () => {
  assert.equal(unifiedDiff('', 'a\nb\n', { from: '/dev/null', to: 'b' }), '--- /dev/null\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n');
  assert.equal(unifiedDiff('a\n', '', { from: 'a', to: '/dev/null' }), '--- a\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n');
});

test('a missing final newline is a change and is marked', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb', labels), '--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n');
});

/** Applies a unified diff (as produced here) to `before`. */
function applyDiff(before: string, diff: string): string {
  const old = before.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const out: string[] = [];
  let pos = 0;
  const body = diff.split('\n').slice(2);
  for (let i = 0; i < body.length; i++) {
    const h = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(body[i]);
    if (!h) continue;
    const start = Number(h[1]) - (h[2] === '0' ? 0 : 1);
    while (pos < start) out.push(old[pos++]);
    for (i++; i < body.length && !body[i].startsWith('@@') && body[i] !== ''; i++) {
      const noNl = body[i + 1] === '\\ No newline at end of file';
      const text = body[i].slice(1) + (noNl ? '' : '\n');
      if (body[i][0] === ' ') assert.equal(old[pos++], text, 'context line matches');
      else if (body[i][0] === '-') assert.equal(old[pos++], text, 'removed line matches');
      else out.push(text);
      if (noNl) i++;
    }
    i--;
  }
  while (pos < old.length) out.push(old[pos++]);
  return out.join('');
}

test('applying the diff turns the old text into the new one (random edits)', () => {
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let round = 0; round < 300; round++) {
    const vocab = ['a', 'b', 'c', 'd', 'ExecStart=/x', '', '[Service]'];
    const make = (n: number) => Array.from({ length: n }, () => vocab[rand(vocab.length)] + '\n').join('');
    let before = make(rand(40));
    if (rand(4) === 0) before = before.replace(/\n$/, '');
    let after = make(rand(40));
    if (rand(3) === 0) after = after.replace(/\n$/, '');
    const diff = unifiedDiff(before, after, labels, rand(4));
    assert.equal(applyDiff(before, diff), after, `round ${round}`);
    assert.equal(diff === '', before === after);
  }
});
