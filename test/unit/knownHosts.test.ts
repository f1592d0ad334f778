import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import {
  checkHostKey,
  fingerprint,
  hostLookupName,
  keyTypeOfBlob,
  knownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from '../../src/ssh/knownHosts.js';

function blob(type: string, payload: string): Buffer {
  const t = Buffer.from(type);
  const p = Buffer.from(payload);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  const plen = Buffer.alloc(4);
  plen.writeUInt32BE(p.length);
  return Buffer.concat([len, t, plen, p]);
}

const good = blob('ssh-ed25519', 'the-real-key');
const evil = blob('ssh-ed25519', 'attacker-key');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

test('lookup names follow OpenSSH: bare on 22, [host]:port otherwise', () => {
  assert.equal(hostLookupName('example.com', 22), 'example.com');
  assert.equal(hostLookupName('127.0.0.1', 2222), '[127.0.0.1]:2222');
});

test('a plain entry matches the same key and refuses another', () => {
  const entries = parseKnownHosts(`# comment\n[127.0.0.1]:2222 ssh-ed25519 ${good.toString('base64')}\n`, 'kh');
  assert.equal(checkHostKey(entries, '127.0.0.1', 2222, good).status, 'match');
  const v = checkHostKey(entries, '127.0.0.1', 2222, evil);
  assert.equal(v.status, 'mismatch');
  assert.equal(checkHostKey(entries, '127.0.0.1', 2223, good).status, 'unknown');
});

test('hashed entries match only their host', () => {
  const entries = parseKnownHosts(`${hashed('[10.0.0.5]:22022')} ssh-ed25519 ${good.toString('base64')}`, 'kh');
  assert.equal(checkHostKey(entries, '10.0.0.5', 22022, good).status, 'match');
  assert.equal(checkHostKey(entries, '10.0.0.6', 22022, good).status, 'unknown');
  assert.equal(checkHostKey(entries, '10.0.0.5', 22022, evil).status, 'mismatch');
});

test('comma lists, wildcards, negation and @revoked', () => {
  const entries = parseKnownHosts(
    [
      `web1,web2 ssh-ed25519 ${good.toString('base64')}`,
      `*.example.com,!bad.example.com ssh-ed25519 ${good.toString('base64')}`,
      `@revoked * ssh-ed25519 ${evil.toString('base64')}`,
    ].join('\n'),
    'kh',
  );
  assert.equal(checkHostKey(entries, 'web2', 22, good).status, 'match');
  assert.equal(checkHostKey(entries, 'a.example.com', 22, good).status, 'match');
  assert.equal(checkHostKey(entries, 'bad.example.com', 22, good).status, 'unknown');
  assert.equal(checkHostKey(entries, 'web1', 22, evil).status, 'revoked');
});

test('a key of another type than the known one is unknown, not a mismatch', () => {
  const rsa = blob('ssh-rsa', 'rsa-key');
  const entries = parseKnownHosts(`web1 ssh-ed25519 ${good.toString('base64')}`, 'kh');
  assert.equal(checkHostKey(entries, 'web1', 22, rsa).status, 'unknown');
  assert.deepEqual(preferredHostKeyAlgorithms(entries, 'web1', 22).slice(0, 1), ['ssh-ed25519']);
});

test('helpers: key type, fingerprint format, known_hosts line', () => {
  assert.equal(keyTypeOfBlob(good), 'ssh-ed25519');
  assert.match(fingerprint(good), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(knownHostsLine('127.0.0.1', 2222, good), `[127.0.0.1]:2222 ssh-ed25519 ${good.toString('base64')}`);
});
