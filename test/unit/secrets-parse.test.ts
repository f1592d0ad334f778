import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { parseEnvText } from '../../src/secrets/envText.js';
import { readEnvValue } from '../../src/secrets/reference.js';
import { ConfigError } from '../../src/errors.js';

test('parseEnvText reads dotenv syntax in order', () => {
  const text = [
    '# database',
    'DB_URL=postgres://db/app',
    'export DEBUG=0',
    '',
    "GREETING='hello # world'",
    'MULTI="line 1',
    'line 2"',
    'SECRET=$DB_PASSWORD   # resolved later',
    'EMPTY=',
  ].join('\r\n');
  assert.deepEqual(parseEnvText(text, 'deployer.toml: env'), [
    { key: 'DB_URL', value: 'postgres://db/app' },
    { key: 'DEBUG', value: '0' },
    { key: 'GREETING', value: 'hello # world' },
    { key: 'MULTI', value: 'line 1\nline 2' },
    { key: 'SECRET', value: '$DB_PASSWORD' },
    { key: 'EMPTY', value: '' },
  ]);
});

function configError(pattern: RegExp, forbidden?: string) {
  return (err: unknown) =>
    err instanceof ConfigError && pattern.test(err.message) && (forbidden === undefined || !err.message.includes(forbidden));
}

test('parseEnvText names the source and line of a line that is not an assignment, without its text', () => {
  assert.throws(
    () => parseEnvText('A=1\nhunter2 secret\nB=2', '.env.production'),
    configError(/^\.env\.production, line 2: expected KEY=value/, 'hunter2'),
  );
});

test('parseEnvText refuses keys that are not environment variable names', () => {
  assert.throws(() => parseEnvText('A=1\nmy.key=2', 'envfile'), configError(/envfile, line 2: "my\.key" is not a valid/));
  assert.throws(() => parseEnvText('1ABC=2', 'envfile'), configError(/"1ABC"/));
  assert.throws(() => parseEnvText('A-B=2', 'envfile'), configError(/"A-B"/));
});

test('parseEnvText refuses a key set twice and an unclosed quote', () => {
  assert.throws(() => parseEnvText('A=1\n\nA=2', 'env'), configError(/env, line 3: A is already set on line 1/));
  assert.throws(() => parseEnvText('A="abc\nB=2', 'env'), configError(/line 1: the value of A starts with " but does not end with it/));
});

test('parseEnvText accepts empty text and comments only', () => {
  assert.deepEqual(parseEnvText('', 'env'), []);
  assert.deepEqual(parseEnvText('# nothing\n\n   # here\n', 'env'), []);
});

test('readEnvValue: $NAME and ${NAME} are references, $$ is a literal $', () => {
  assert.deepEqual(readEnvValue('$DB_PASSWORD'), { kind: 'reference', name: 'DB_PASSWORD', raw: '$DB_PASSWORD' });
  assert.deepEqual(readEnvValue('${DB_PASSWORD}'), { kind: 'reference', name: 'DB_PASSWORD', raw: '${DB_PASSWORD}' });
  assert.deepEqual(readEnvValue('${op://prod/db/password}'), {
    kind: 'reference',
    name: 'op://prod/db/password',
    raw: '${op://prod/db/password}',
  });
  assert.deepEqual(readEnvValue('${My Item}'), { kind: 'reference', name: 'My Item', raw: '${My Item}' });
  assert.deepEqual(readEnvValue('$$DB_PASSWORD'), { kind: 'literal', value: '$DB_PASSWORD' });
  assert.deepEqual(readEnvValue('pa$$word'), { kind: 'literal', value: 'pa$word' });
  assert.deepEqual(readEnvValue('cost: $5'), { kind: 'literal', value: 'cost: $5' });
  assert.deepEqual(readEnvValue('$A$B'), { kind: 'literal', value: '$A$B' });
  assert.deepEqual(readEnvValue('prefix-$NAME'), { kind: 'literal', value: 'prefix-$NAME' });
  assert.deepEqual(readEnvValue('$'), { kind: 'literal', value: '$' });
  assert.deepEqual(readEnvValue('${}'), { kind: 'literal', value: '${}' });
});
