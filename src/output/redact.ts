// Secret values are registered here once, when they are resolved; every line
// any renderer prints passes through redact(). Short values (under 4 chars)
// are still redacted: a leaked "abc" password is a leak too.

export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | null = null;

  add(value: string): void {
    if (!value) return;
    this.values.add(value);
    // Multi-line secrets (keys) also leak line by line.
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4) this.values.add(line);
    this.pattern = null;
  }

  redact(text: string): string {
    if (this.values.size === 0 || !text) return text;
    if (!this.pattern) {
      const sorted = [...this.values].sort((a, b) => b.length - a.length);
      this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
    }
    return text.replace(this.pattern, '[REDACTED]');
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
