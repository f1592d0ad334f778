// The markers the remote scripts print and the ones the client reads are the
// same set: every constant in src/remote/protocol.ts is printed by some
// script in remote/, every @@word a script prints is a known constant, and
// every constant is read by client code (a marker nobody reads is noise).
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/packageRoot.js';
import { Marker, parseMarker, parseMarkers, PAUSED } from '../../src/remote/protocol.js';
import { readRemoteScript, remoteScriptsDir, type RemoteScriptName } from '../../src/remote/scriptFiles.js';

const scripts = readdirSync(remoteScriptsDir()).filter((f) => f.endsWith('.sh')) as RemoteScriptName[];
// Only the code: a comment may mention a marker without printing it.
const code = scripts
  .map((f) =>
    readRemoteScript(f)
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('\n'),
  )
  .join('\n');
const printed = new Set([...code.matchAll(/@@([a-z][a-z-]*)/g)].map((m) => m[1]));

test('every marker a script prints is a named constant', () => {
  const known = new Set<string>(Object.values(Marker));
  const unknown = [...printed].filter((m) => !known.has(m));
  assert.deepEqual(unknown, []);
  assert.ok(printed.size > 20, `found only ${printed.size} markers: is remote/ read?`);
});

test('every named marker is printed by some script', () => {
  const unused = Object.values(Marker).filter((m) => !printed.has(m));
  assert.deepEqual(unused, []);
  assert.equal(printed.has(PAUSED), false, "paused is the client's own marker");
});

test('every named marker is read by client code in src/', () => {
  const src = join(packageRoot(), 'src');
  const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 50, `found only ${files.length} source files under ${src}`);
  const read = new Set<string>();
  for (const f of files) {
    if (f === join('remote', 'protocol.ts')) continue;
    for (const m of readFileSync(join(src, f), 'utf8').matchAll(/\bMarker\.([A-Za-z]+)\b/g)) read.add(m[1]);
  }
  const unread = Object.keys(Marker).filter((k) => !read.has(k));
  assert.deepEqual(unread, [], 'delete these from src/remote/protocol.ts (and their prints), or read them');
});

test('every remote script the client names exists', () => {
  for (const f of [
    'phase.sh',
    'probe.sh',
    'server-prelude.sh',
    'server-bootstrap.sh',
    'server-create-user.sh',
    'app-instances.sh',
    'app-status.sh',
    'app-control.sh',
    'app-env.sh',
    'exec.sh',
    'stop.sh',
    'app-cat.sh',
  ]) {
    assert.ok(scripts.includes(f as RemoteScriptName), f);
  }
});

test('parseMarker: one marker per line, the rest is its argument; other lines are output', () => {
  assert.deepEqual(parseMarker('@@step install x (uv)'), { marker: Marker.step, arg: 'install x (uv)' });
  assert.deepEqual(parseMarker('@@end'), { marker: Marker.end, arg: '' });
  assert.equal(parseMarker('pip says @@step'), undefined);
  assert.equal(parseMarker('@@reported-wait'), undefined);
  assert.equal(parseMarker('@@STEP x'), undefined);
  assert.deepEqual(
    parseMarkers('a\n@@unit-changed web.service\r\n@@end\n').map((m) => m.marker),
    ['unit-changed', 'end'],
  );
});
