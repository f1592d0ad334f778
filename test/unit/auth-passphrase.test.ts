// An encrypted private key: asked for on a terminal (the ask function), read
// from key_passphrase_env in CI, and a clear error otherwise.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HostConfig } from '../../src/config/types.js';
import { authMethods } from '../../src/ssh/auth.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
let keyFile: string;
const host = (over: Partial<HostConfig> = {}): HostConfig => ({
  name: 'h1',
  address: '203.0.113.5',
  user: 'deploy',
  port: 22,
  hostKeyPolicy: 'strict',
  domains: [],
  keyFile,
  ...over,
});

before(() => {
  dir = tempDir('deployer-key-');
  keyFile = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'sesame', '-f', keyFile]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('on a terminal the passphrase is asked for, once per key, naming the key file', async () => {
  const asked: string[] = [];
  const [m] = await authMethods(host(), {}, async (source) => (asked.push(source), 'sesame'));
  assert.deepEqual(asked, [keyFile]);
  assert.equal(m.type === 'publickey' && m.passphrase, 'sesame');
});

test('key_passphrase_env gives the passphrase without asking; unset or wrong is a clear error', async () => {
  const never = async (): Promise<string> => assert.fail('asked');
  const [m] = await authMethods(host({ keyPassphraseEnv: 'KP' }), { KP: 'sesame' }, never);
  assert.equal(m.type, 'publickey');
  await assert.rejects(
    authMethods(host({ keyPassphraseEnv: 'KP' }), {}),
    /key_passphrase_env names the environment variable KP, but it is not set/,
  );
  await assert.rejects(
    authMethods(host({ keyPassphraseEnv: 'KP' }), { KP: 'nope' }),
    /the passphrase from \$KP \(key_passphrase_env\) does not decrypt it/,
  );
});

test('no terminal and no passphrase: the error says how to give one', async () => {
  await assert.rejects(authMethods(host(), {}), (e: Error & { hint?: string }) => {
    assert.match(e.message, new RegExp(`cannot use the SSH key from ${keyFile}`));
    assert.match(e.hint ?? '', /key_passphrase_env/);
    return true;
  });
});
