// Secret values are registered here once, when they are resolved; every line
// any renderer prints passes through redact(). Short values (under 4 chars)
// are still redacted when they were registered: a leaked "abc" password is a
// leak too (which literal env values get registered: see secretEnvValues).
//
// Values the config shows in clear (domains, app and stage, host names,
// commands: see src/deploy/clearValues.ts) are registered with keep(). They
// are not secrets, so an occurrence of a secret that lies wholly inside an
// occurrence of one of them is printed as it is: ALLOWED_HOSTS=mysite.test
// must not turn the URL into http://[REDACTED]/. A secret that reaches
// beyond the clear text (a SECRET_KEY that contains the domain) is still
// replaced whole.
//
// Output arrives in chunks (SSH packets of up to 32 KiB, pipe reads of 64
// KiB) that can cut a secret in two; redacting each chunk would let both
// halves through. Streams therefore go through lines(): whole lines are
// redacted, and a line that grows past a bound is cut only where no secret
// can straddle the cut.

export interface LineSink {
  push(chunk: string): void;
  /** End of stream: hands on the last partial line, redacted. */
  flush(): void;
}

/** Longest line held back while waiting for its newline. */
const MAX_PENDING = 64 * 1024;

export class Redactor {
  private readonly values = new Set<string>();
  private readonly clear = new Set<string>();
  private pattern: RegExp | null = null;
  /** For each secret, the clear values that contain it and where: [clear value, offset of the secret in it]. */
  private shelters = new Map<string, Array<[string, number]>>();
  private longest = 0;

  /** Values shown in clear: a secret found wholly inside one of them is left as it is. */
  keep(values: Iterable<string>): void {
    for (const value of values) {
      if (!value.trim()) continue;
      this.clear.add(value);
      // A multi-line value (a hook script) is printed line by line too.
      for (const line of value.split(/\r?\n/)) if (line.trim()) this.clear.add(line);
    }
    this.pattern = null;
  }

  add(value: string): void {
    if (!value) return;
    this.values.add(value);
    // Multi-line secrets (keys) also leak line by line.
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4) this.values.add(line);
    this.pattern = null;
    for (const v of this.values) this.longest = Math.max(this.longest, v.length);
  }

  redact(text: string): string {
    const p = this.regex();
    if (!p || !text) return text;
    if (this.shelters.size === 0) return text.replace(p, '[REDACTED]');
    let out = '';
    let done = 0;
    p.lastIndex = 0;
    for (let m = p.exec(text); m; m = p.exec(text)) {
      if (this.sheltered(text, m.index, m[0])) {
        // Look again one character on: another secret may start inside this one and reach past the clear text.
        p.lastIndex = m.index + 1;
        continue;
      }
      out += text.slice(done, m.index) + '[REDACTED]';
      done = p.lastIndex = m.index + m[0].length;
    }
    return out + text.slice(done);
  }

  /** Whether the secret found at `at` lies wholly inside an occurrence of a clear value. */
  private sheltered(text: string, at: number, secret: string): boolean {
    for (const [value, offset] of this.shelters.get(secret) ?? []) if (at >= offset && text.startsWith(value, at - offset)) return true;
    return false;
  }

  /**
   * A line-buffered redacting stream: `onText` gets redacted text made of
   * whole lines (without the final newline), never a piece of a secret.
   */
  lines(onText: (text: string) => void, maxPending = MAX_PENDING): LineSink {
    let buf = '';
    return {
      push: (chunk) => {
        buf += chunk;
        const nl = buf.lastIndexOf('\n');
        if (nl >= 0) {
          onText(this.redact(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
        }
        if (buf.length > maxPending) {
          const cut = this.safeCut(buf);
          if (cut > 0) {
            onText(this.redact(buf.slice(0, cut)));
            buf = buf.slice(cut);
          }
        }
      },
      flush: () => {
        if (buf) onText(this.redact(buf));
        buf = '';
      },
    };
  }

  /**
   * Where a long unfinished line may be cut: every secret that starts before
   * the cut must end before it too. A secret starting at or after
   * `length - longest + 1` may still be incomplete, so the cut goes there at
   * the latest, moved past any match that straddles it.
   */
  private safeCut(buf: string): number {
    let cut = buf.length - Math.max(this.longest - 1, 0);
    const p = this.regex();
    if (!p || cut <= 0) return Math.max(cut, 0);
    p.lastIndex = 0;
    for (const m of buf.matchAll(p)) {
      const start = m.index ?? 0;
      if (start >= cut) break;
      cut = Math.max(cut, start + m[0].length);
    }
    return cut;
  }

  private regex(): RegExp | null {
    if (this.values.size === 0) return null;
    if (!this.pattern) {
      const sorted = [...this.values].sort((a, b) => b.length - a.length);
      this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
      this.shelters = new Map();
      for (const secret of this.values)
        for (const value of this.clear)
          for (let i = value.indexOf(secret); i >= 0; i = value.indexOf(secret, i + 1)) {
            const list = this.shelters.get(secret) ?? [];
            list.push([value, i]);
            this.shelters.set(secret, list);
          }
    }
    return this.pattern;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
