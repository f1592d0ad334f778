// The test-host harness takes its Debian mirror from the machine's own apt
// sources for any suite (a Debian 12 machine builds Debian 13 hosts from the
// mirror its bookworm entry names), and names no mirror host itself.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const script = fileURLToPath(new URL('../../../test/host/testhost.sh', import.meta.url));

function mirror(suite: string, files: Record<string, string>): string {
  const apt = tempDir('deployer-apt-');
  try {
    mkdirSync(join(apt, 'sources.list.d'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(apt, name), text);
    const env = { PATH: process.env.PATH, TESTHOST_SUITE: suite, TESTHOST_APT_ETC: apt };
    try {
      return execFileSync('bash', [script, 'mirror'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch (e) {
      return `error: ${String((e as { stderr?: string }).stderr).trim()}`;
    }
  } finally {
    rmSync(apt, { recursive: true, force: true });
  }
}

const deb822 = `Types: deb
URIs: http://security.example.org/debian-security
Suites: bookworm-security
Components: main

Types: deb
URIs: http://mirror.example.net/debian
Suites: bookworm bookworm-updates
Components: main
`;

test('deb822 sources: the entry naming the suite, else the main archive entry (never -security)', () => {
  assert.equal(mirror('bookworm', { 'sources.list.d/debian.sources': deb822 }), 'http://mirror.example.net/debian');
  assert.equal(mirror('trixie', { 'sources.list.d/debian.sources': deb822 }), 'http://mirror.example.net/debian');
  const withTrixie = deb822 + '\nTypes: deb\nURIs: http://trixie.example.com/debian\nSuites: trixie\n';
  assert.equal(mirror('trixie', { 'sources.list.d/debian.sources': withTrixie }), 'http://trixie.example.com/debian');
});

test('one-line sources.list, with options in brackets', () => {
  const list =
    'deb http://security.example.org/debian-security bookworm-security main\ndeb [arch=amd64] http://old.example.net/debian bookworm main\n';
  assert.equal(mirror('trixie', { 'sources.list': list }), 'http://old.example.net/debian');
});

test('no Debian entry at all: a clear error naming TESTHOST_MIRROR, and no mirror host written in the script', () => {
  assert.match(mirror('trixie', {}), /^error: .*no Debian mirror.*TESTHOST_MIRROR/);
  assert.doesNotMatch(readFileSync(script, 'utf8'), /https?:\/\/[a-z0-9.-]*debian/i);
});
