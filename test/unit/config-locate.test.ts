import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { indexPositions } from '../../src/config/locate.js';
import { formatPath } from '../../src/config/path.js';
import { editDistance, suggest } from '../../src/config/suggest.js';

const source = [
  '# comment with [brackets] and key = "value"', // 1
  'app = "shop"', // 2
  'env = """', // 3
  '[[hosts]]', // 4  (inside a string: not a header)
  'port = "x"', // 5
  '"""', // 6
  'webserver.enabled = true   # dotted key', // 7
  '', // 8
  '[[hosts]]', // 9
  'address = "a"', // 10
  '', // 11
  '[[hosts]]', // 12
  '  port   =   2222', // 13
  'domains = ["a.example",', // 14
  '           "b.example"]', // 15
  '', // 16
  '[processes]', // 17
  'web = { command = "gunicorn", replicas = 2 }', // 18
  '"odd name" = \'cmd\'', // 19
  '', // 20
  '[stages.production.processes.web]', // 21
  'replicas = 0', // 22
  '', // 23
  '[[stages.production.hosts]]', // 24
  'address = "p"', // 25
  '[stages.production.hosts.extra]', // 26  (belongs to the last element)
  'k = 1', // 27
].join('\n');

const index = indexPositions(source);
const at = (path: (string | number)[], where: 'key' | 'value' = 'value') => {
  const p = index.locate(path, where);
  return `${p.line}:${p.column}`;
};

test('top-level keys: key and value columns', () => {
  assert.equal(at(['app'], 'key'), '2:1');
  assert.equal(at(['app']), '2:7');
});

test('text inside a multi-line string is not read as headers or keys', () => {
  assert.equal(at(['hosts', 0]), '9:1');
  assert.equal(at(['port']), '1:1', 'port exists only inside the string, so falls back to line 1');
});

test('dotted keys record the table and the key', () => {
  assert.equal(at(['webserver', 'enabled']), '7:21');
  assert.equal(at(['webserver', 'enabled'], 'key'), '7:11');
  assert.equal(at(['webserver'], 'key'), '7:1');
});

test('[[hosts]] occurrences are counted by index', () => {
  assert.equal(at(['hosts', 0, 'address']), '10:11');
  assert.equal(at(['hosts', 1]), '12:1');
  assert.equal(at(['hosts', 1, 'port']), '13:14');
  assert.equal(at(['hosts', 1, 'port'], 'key'), '13:3');
});

test('array elements, also across lines', () => {
  assert.equal(at(['hosts', 1, 'domains', 0]), '14:12');
  assert.equal(at(['hosts', 1, 'domains', 1]), '15:12');
});

test('inline tables and quoted keys', () => {
  assert.equal(at(['processes', 'web', 'replicas']), '18:42');
  assert.equal(at(['processes', 'web', 'command'], 'key'), '18:9');
  assert.equal(at(['processes', 'odd name'], 'key'), '19:1');
  assert.equal(at(['processes', 'odd name']), '19:14');
});

test('nested headers and arrays of tables inside stages', () => {
  assert.equal(at(['stages', 'production', 'processes', 'web', 'replicas']), '22:12');
  assert.equal(at(['stages', 'production', 'hosts', 0, 'address']), '25:11');
  assert.equal(at(['stages', 'production', 'hosts', 0, 'extra', 'k']), '27:5');
});

test('a missing key falls back to its table header, then to line 1', () => {
  assert.equal(at(['hosts', 1, 'name']), '12:1');
  assert.equal(at(['processes', 'worker', 'command']), '17:1');
  assert.equal(at(['distfile']), '1:1');
});

test('the locator never throws on text it cannot follow', () => {
  const broken = indexPositions('a = 1\n[unclosed\n= = =\n"');
  assert.equal(broken.locate(['a']).line, 1);
  assert.deepEqual(broken.locate(['zzz']), { line: 1, column: 1 });
});

test('paths print as a user would write them', () => {
  assert.equal(formatPath(['hosts', 0, 'port']), 'hosts[0].port');
  assert.equal(formatPath(['stages', 'production', 'processes', 'web', 'replicas']), 'stages.production.processes.web.replicas');
  assert.equal(formatPath(['webserver', 'statics', '/static']), 'webserver.statics."/static"');
});

test('edit distance and suggestions', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(suggest('relase_command', ['release_command', 'build_command']), 'release_command');
  assert.equal(suggest('Build-Command', ['release_command', 'build_command']), 'build_command');
  assert.equal(suggest('adress', ['name', 'address']), 'address');
  assert.equal(suggest('zzz', ['name', 'address']), undefined);
  assert.equal(suggest('ap', ['app', 'version']), 'app');
});
