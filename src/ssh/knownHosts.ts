// OpenSSH known_hosts parsing and matching, including hashed entries
// (`|1|salt|hmac`), `[host]:port` forms, comma lists, wildcards, negation and
// the @revoked / @cert-authority markers. Pure: the caller reads the files.
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  /** Host patterns as written (possibly hashed). */
  patterns: string[];
  keyType: string;
  /** Base64 of the key blob. */
  key: string;
  /** Where it came from, for messages: `file:line`. */
  source: string;
}

export function parseKnownHosts(text: string, sourceName: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    if (fields.length < 3) return;
    const [hosts, keyType, key] = fields;
    entries.push({ marker, patterns: hosts.split(','), keyType, key, source: `${sourceName}:${i + 1}` });
  });
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchHashed(pattern: string, name: string): boolean {
  const parts = pattern.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const hmac = createHmac('sha1', salt).update(name).digest('base64');
  return hmac === parts[3];
}

function matchWildcard(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'i',
  );
  return re.test(name);
}

/** Whether the entry's host patterns match `name` (OpenSSH semantics: any negated match wins). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  let matched = false;
  for (const p of entry.patterns) {
    if (p.startsWith('|')) {
      if (matchHashed(p, name)) matched = true;
      continue;
    }
    const negated = p.startsWith('!');
    const pat = negated ? p.slice(1) : p;
    if (matchWildcard(pat, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict =
  | { status: 'match'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'mismatch'; known: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry };

/** Key types as they appear in known_hosts, for the blob the server presented. */
export function keyTypeOfBlob(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('ascii');
}

export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const name = hostLookupName(host, port);
  const key = blob.toString('base64');
  const forHost = entries.filter((e) => e.marker !== '@cert-authority' && entryMatches(e, name));
  const revoked = forHost.find((e) => e.marker === '@revoked' && e.key === key);
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => !e.marker);
  const exact = plain.find((e) => e.key === key);
  if (exact) return { status: 'match', entry: exact };
  const sameType = plain.filter((e) => e.keyType === keyTypeOfBlob(blob));
  if (sameType.length > 0) return { status: 'mismatch', known: sameType };
  return { status: 'unknown' };
}

/** Host key algorithms to offer, known types for this host first (as OpenSSH does). */
export function preferredHostKeyAlgorithms(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = hostLookupName(host, port);
  const known = new Set(entries.filter((e) => !e.marker && entryMatches(e, name)).map((e) => e.keyType));
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const isKnown = (alg: string) => known.has(alg) || (alg.startsWith('rsa-sha2') && known.has('ssh-rsa'));
  return [...all.filter(isKnown), ...all.filter((a) => !isKnown(a))];
}

/** `SHA256:…` as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  return `${hostLookupName(host, port)} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}`;
}
