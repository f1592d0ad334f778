import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { resolveEnv, type ResolveEnvOptions } from '../../src/secrets/resolve.js';
import { LocalCommandError, ExitCode } from '../../src/errors.js';

const noCommands: ResolveEnvOptions['runCommand'] = async (cmd) => {
  throw new Error(`unexpected command ${cmd}`);
};

function opts(over: Partial<ResolveEnvOptions>): ResolveEnvOptions {
  return { adapter: 'system', options: {}, env: {}, runCommand: noCommands, ...over };
}

/** Asserts a LocalCommandError whose text matches every pattern and contains none of the forbidden strings. */
function lookupError(patterns: RegExp[], forbidden: string[] = []) {
  return (err: unknown) => {
    assert.ok(err instanceof LocalCommandError, `expected LocalCommandError, got ${String(err)}`);
    assert.equal(err.exitCode, ExitCode.local);
    const all = [err.message, err.hint ?? '', err.details ?? ''].join('\n');
    for (const p of patterns) assert.match(err.message, p);
    for (const f of forbidden) assert.ok(!all.includes(f), `error text leaks ${f}: ${all}`);
    return true;
  };
}

test('system: references are read from the given environment', async () => {
  const r = await resolveEnv(
    [
      { key: 'DB_PASSWORD', value: '$PROD_DB_PASSWORD' },
      { key: 'API_KEY', value: '${PROD_API_KEY}' },
      { key: 'DEBUG', value: '0' },
      { key: 'PRICE', value: '$$5' },
    ],
    opts({ env: { PROD_DB_PASSWORD: 's3cr3t-db', PROD_API_KEY: 'key-123' } }),
  );
  assert.deepEqual(r.entries, [
    { key: 'DB_PASSWORD', value: 's3cr3t-db' },
    { key: 'API_KEY', value: 'key-123' },
    { key: 'DEBUG', value: '0' },
    { key: 'PRICE', value: '$5' },
  ]);
  assert.deepEqual(r.secrets.sort(), ['key-123', 's3cr3t-db']);
});

test('system: an unset reference is an error naming the key, the reference and the adapter', async () => {
  await assert.rejects(
    resolveEnv([{ key: 'DB_PASSWORD', value: '$MISSING_VAR' }], opts({ env: { OTHER: 'x' } })),
    lookupError([/DB_PASSWORD/, /\$MISSING_VAR/, /system adapter/, /not set/]),
  );
});

test('system: an empty value is refused (GitHub expands a missing secret to "")', async () => {
  await assert.rejects(resolveEnv([{ key: 'TOKEN', value: '$EMPTY' }], opts({ env: { EMPTY: '' } })), lookupError([/TOKEN/, /empty/]));
});

test('$$ escapes: no lookup at all for $$NAME', async () => {
  const r = await resolveEnv([{ key: 'LITERAL', value: '$$HOME' }], opts({ env: {} }));
  assert.deepEqual(r, { entries: [{ key: 'LITERAL', value: '$HOME' }], secrets: [] });
});

test('all failures are reported, the first as the message, scrubbed of every value that did resolve', async () => {
  // A CLI that echoes another secret into its stderr must not leak it through our error.
  const runCommand: ResolveEnvOptions['runCommand'] = async (_cmd, args) => {
    if (args[2] === 'GOOD_SRC') return 'the-good-value\n';
    throw new Error(`doppler exited with code 1: ${args[2]} not found (nearby: the-good-value)`);
  };
  await assert.rejects(
    resolveEnv(
      [
        { key: 'GOOD', value: '$GOOD_SRC' },
        { key: 'FIRST_BAD', value: '$NOPE_1' },
        { key: 'SECOND_BAD', value: '$NOPE_2' },
      ],
      opts({ adapter: 'doppler', runCommand }),
    ),
    (err: unknown) => {
      lookupError(
        [/^cannot resolve FIRST_BAD=\$NOPE_1 with the doppler adapter: doppler exited with code 1: NOPE_1 not found/],
        ['the-good-value'],
      )(err);
      assert.match((err as LocalCommandError).details ?? '', /FIRST_BAD[\s\S]*SECOND_BAD=\$NOPE_2/);
      assert.match((err as LocalCommandError).message, /\[REDACTED\]/);
      return true;
    },
  );
});

const JSON_SECRETS = JSON.stringify({ DB_PASSWORD: 'json-db-pass', PORT: 5432, NESTED: { a: 1 } });

test('json-env: values come from the JSON object in DEPLOYER_SECRETS (or the named variable)', async () => {
  const entries = [
    { key: 'DB_PASSWORD', value: '$DB_PASSWORD' },
    { key: 'DB_PORT', value: '${PORT}' },
  ];
  const r = await resolveEnv(entries, opts({ adapter: 'json-env', env: { DEPLOYER_SECRETS: JSON_SECRETS } }));
  assert.deepEqual(r.entries, [
    { key: 'DB_PASSWORD', value: 'json-db-pass' },
    { key: 'DB_PORT', value: '5432' },
  ]);
  const named = await resolveEnv(
    entries.slice(0, 1),
    opts({ adapter: 'json-env', jsonEnv: 'GH_SECRETS', env: { GH_SECRETS: JSON_SECRETS } }),
  );
  assert.deepEqual(named.secrets, ['json-db-pass']);
});

test('json-env: a key missing from the object, or not a string, names the key', async () => {
  const env = { DEPLOYER_SECRETS: JSON_SECRETS };
  await assert.rejects(
    resolveEnv([{ key: 'API', value: '$API_KEY' }], opts({ adapter: 'json-env', env })),
    lookupError([/API=\$API_KEY/, /json-env adapter/, /DEPLOYER_SECRETS has no key API_KEY/], ['json-db-pass']),
  );
  await assert.rejects(
    resolveEnv([{ key: 'N', value: '$NESTED' }], opts({ adapter: 'json-env', env })),
    lookupError([/N=\$NESTED/, /not a string/]),
  );
});

test('json-env: the variable missing is a clear error', async () => {
  await assert.rejects(
    resolveEnv([{ key: 'DB_PASSWORD', value: '$DB_PASSWORD' }], opts({ adapter: 'json-env', jsonEnv: 'MY_SECRETS', env: {} })),
    lookupError([/DB_PASSWORD/, /json-env/, /MY_SECRETS is not set/]),
  );
});

test('json-env: bad JSON and non-objects are clear errors that do not quote the variable', async () => {
  const broken = '{"DB_PASSWORD": "leaky-value", oops}';
  await assert.rejects(
    resolveEnv([{ key: 'DB_PASSWORD', value: '$DB_PASSWORD' }], opts({ adapter: 'json-env', env: { DEPLOYER_SECRETS: broken } })),
    lookupError([/DB_PASSWORD/, /DEPLOYER_SECRETS is not valid JSON/], ['leaky-value', 'oops']),
  );
  for (const notObject of ['["a"]', '"text"', 'null', '42']) {
    await assert.rejects(
      resolveEnv([{ key: 'X', value: '$X' }], opts({ adapter: 'json-env', env: { DEPLOYER_SECRETS: notObject } })),
      lookupError([/DEPLOYER_SECRETS is not a JSON object/]),
    );
  }
});

test('a reference used twice is looked up once', async () => {
  const calls: string[] = [];
  const r = await resolveEnv(
    [
      { key: 'A', value: '$SHARED' },
      { key: 'B', value: '${SHARED}' },
    ],
    opts({
      adapter: 'doppler',
      runCommand: async (cmd, args) => {
        calls.push([cmd, ...args].join(' '));
        return 'shared-value\n';
      },
    }),
  );
  assert.deepEqual(calls, ['doppler secrets get SHARED --plain']);
  assert.deepEqual(
    r.entries.map((e) => e.value),
    ['shared-value', 'shared-value'],
  );
  assert.deepEqual(r.secrets, ['shared-value']);
});

test('adapter command lines: doppler scope options, bw session, op reference check', async () => {
  const calls: Array<{ line: string; session?: string }> = [];
  const runCommand: ResolveEnvOptions['runCommand'] = async (cmd, args, env) => {
    calls.push({ line: [cmd, ...args].join(' '), session: env.BW_SESSION });
    return 'v';
  };
  await resolveEnv([{ key: 'A', value: '$NAME' }], opts({ adapter: 'doppler', options: { project: 'web', config: 'prd' }, runCommand }));
  await resolveEnv(
    [{ key: 'A', value: '$item' }],
    opts({ adapter: 'bitwarden', options: { session_env: 'MY_BW' }, env: { MY_BW: 'sess' }, runCommand }),
  );
  await resolveEnv([{ key: 'A', value: '${op://v/i/f}' }], opts({ adapter: '1password', runCommand }));
  assert.deepEqual(calls, [
    { line: 'doppler secrets get NAME --plain --project web --config prd', session: undefined },
    { line: 'bw get password item --nointeraction', session: 'sess' },
    { line: 'op read op://v/i/f', session: undefined },
  ]);
  await assert.rejects(
    resolveEnv([{ key: 'A', value: '$not-a-uri' }], opts({ adapter: '1password', runCommand })),
    lookupError([/A=\$not-a-uri/, /1password adapter/, /op:\/\/vault\/item\/field/]),
  );
});

test('bitwarden: a missing BW_SESSION is named before bw is run', async () => {
  await assert.rejects(
    resolveEnv([{ key: 'DB', value: '$db-item' }], opts({ adapter: 'bitwarden', env: {} })),
    lookupError([/DB=\$db-item/, /bitwarden adapter/, /BW_SESSION is not set/]),
  );
});
