// A small streaming reader of tar archives, enough for deployer's backups
// (made by GNU tar on the host: ustar headers, GNU long names, pax headers):
// fed chunks as they come from gunzip, it reports each member's header and
// data, so a large archive is checked without holding it in memory. Every
// header's checksum is verified; a stream that ends inside a member is an
// error, not a short file.

export type TarType = 'file' | 'dir' | 'symlink' | 'other';

export interface TarHeader {
  path: string;
  type: TarType;
  size: number;
  mode: number;
  linkTarget: string;
}

export interface TarHandlers {
  entry(header: TarHeader): void;
  data(chunk: Buffer): void;
  /** The member's data has all arrived. */
  entryEnd(): void;
}

export class TarFormatError extends Error {}

const BLOCK = 512;

function text(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? s.length : nul).toString('utf8');
}

function octal(b: Buffer, start: number, len: number): number {
  // GNU tar writes sizes over 8 GiB in base 256, flagged by the high bit.
  if (b[start] & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + b[i];
    return n;
  }
  const s = text(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`bad number field "${s}" in a tar header`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return sum === octal(h, 148, 8);
}

function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const sp = data.indexOf(32, at);
    if (sp < 0) break;
    const len = Number(data.subarray(at, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) throw new TarFormatError('bad pax header record');
    const rec = data.subarray(sp + 1, at + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    at += len;
  }
  return out;
}

const TYPES: Record<string, TarType> = { '0': 'file', '\0': 'file', '7': 'file', '5': 'dir', '2': 'symlink' };

export class TarReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of the current member's data still to come, and the padding after it. */
  private remaining = 0;
  private padding = 0;
  /** A GNU long name / pax header being collected (its data is metadata, not a member). */
  private meta?: { kind: 'L' | 'K' | 'x' | 'g'; parts: Buffer[] };
  private pending: { path?: string; linkTarget?: string } = {};
  private inMember = false;
  private ended = false;

  constructor(private readonly on: TarHandlers) {}

  feed(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.remaining > 0) {
        if (this.buf.length === 0) return;
        const take = Math.min(this.remaining, this.buf.length);
        const part = this.buf.subarray(0, take);
        this.buf = this.buf.subarray(take);
        this.remaining -= take;
        if (this.meta) this.meta.parts.push(part);
        else this.on.data(part);
        if (this.remaining > 0) return;
        this.finishMember();
      }
      if (this.padding > 0) {
        const take = Math.min(this.padding, this.buf.length);
        this.buf = this.buf.subarray(take);
        this.padding -= take;
        if (this.padding > 0) return;
      }
      if (this.ended) {
        this.buf = Buffer.alloc(0);
        return;
      }
      if (this.buf.length < BLOCK) return;
      const h = this.buf.subarray(0, BLOCK);
      this.buf = this.buf.subarray(BLOCK);
      if (h.every((b) => b === 0)) {
        this.ended = true;
        continue;
      }
      this.header(h);
    }
  }

  /** Call when the input ended: throws when the archive stopped before its end. */
  end(): void {
    if (this.remaining > 0 || this.inMember) throw new TarFormatError('the archive ends in the middle of a file');
    if (!this.ended) throw new TarFormatError('the archive has no end-of-archive marker');
  }

  private header(h: Buffer): void {
    if (!checksumOk(h)) throw new TarFormatError('a tar header has a wrong checksum');
    const flag = String.fromCharCode(h[156]);
    const size = octal(h, 124, 12);
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (flag === 'L' || flag === 'K' || flag === 'x' || flag === 'g') {
      this.meta = { kind: flag, parts: [] };
      if (size === 0) this.finishMember();
      return;
    }
    const prefix = text(h, 345, 155);
    const name = text(h, 0, 100);
    const header: TarHeader = {
      path: this.pending.path ?? (prefix ? `${prefix}/${name}` : name),
      type: TYPES[flag] ?? 'other',
      size,
      mode: octal(h, 100, 8),
      linkTarget: this.pending.linkTarget ?? text(h, 157, 100),
    };
    this.pending = {};
    this.inMember = true;
    this.on.entry(header);
    if (size === 0) this.finishMember();
  }

  private finishMember(): void {
    const meta = this.meta;
    if (meta) {
      this.meta = undefined;
      const data = Buffer.concat(meta.parts);
      if (meta.kind === 'L') this.pending.path = text(data, 0, data.length);
      else if (meta.kind === 'K') this.pending.linkTarget = text(data, 0, data.length);
      else if (meta.kind === 'x') {
        const r = paxRecords(data);
        if (r.path !== undefined) this.pending.path = r.path;
        if (r.linkpath !== undefined) this.pending.linkTarget = r.linkpath;
      }
      return;
    }
    this.inMember = false;
    this.on.entryEnd();
  }
}
