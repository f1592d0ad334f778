// Secret values are registered here once, when they are resolved; every line
// any renderer prints passes through redact(). Short values (under 4 chars)
// are still redacted when they were registered: a leaked "abc" password is a
// leak too (which literal env values get registered: see secretEnvValues).
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
  private pattern: RegExp | null = null;
  private longest = 0;

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
    return text.replace(p, '[REDACTED]');
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
    }
    return this.pattern;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
