// A small unified diff (the `diff -u` format) for `plan`: unit files and the
// Caddy site are tens of lines, so a plain LCS table is fast enough and saves
// a dependency. Lines keep their "\n", so a missing final newline is a change
// and is shown the way diff shows it.

const NO_NEWLINE = '\\ No newline at end of file';
/** Past this many table cells the changed middle is shown as replaced whole. */
const MAX_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** The edit script from a to b: common prefix and suffix, an LCS of the middle. */
function editScript(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = a.slice(0, start).map((line) => ({ kind: ' ', line }));
  const m = endA - start;
  const n = endB - start;
  if (m * n > MAX_CELLS) {
    for (let i = start; i < endA; i++) ops.push({ kind: '-', line: a[i] });
    for (let j = start; j < endB; j++) ops.push({ kind: '+', line: b[j] });
  } else {
    // lcs[i][j] = length of the LCS of a[start+i..endA) and b[start+j..endB).
    const lcs = Array.from({ length: m + 1 }, () => new Uint32Array(n + 1));
    for (let i = m - 1; i >= 0; i--) {
      for (let j = n - 1; j >= 0; j--) {
        lcs[i][j] = a[start + i] === b[start + j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < m || j < n) {
      if (i < m && j < n && a[start + i] === b[start + j]) {
        ops.push({ kind: ' ', line: a[start + i] });
        i++;
        j++;
      } else if (i < m && (j === n || lcs[i + 1][j] >= lcs[i][j + 1])) {
        ops.push({ kind: '-', line: a[start + i++] });
      } else {
        ops.push({ kind: '+', line: b[start + j++] });
      }
    }
    // diff -u lists a change's removals before its additions.
    for (let k = 1; k < ops.length; k++) {
      for (let p = k; p > 0 && ops[p].kind === '-' && ops[p - 1].kind === '+'; p--) [ops[p - 1], ops[p]] = [ops[p], ops[p - 1]];
    }
  }
  for (let i = endA; i < a.length; i++) ops.push({ kind: ' ', line: a[i] });
  return ops;
}

function range(start: number, count: number): string {
  // An empty side is numbered by the line before it, as diff does.
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

/** `diff -u`-style text from `before` to `after` (empty when they are equal). */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  if (before === after) return '';
  const ops = editScript(splitLines(before), splitLines(after));
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  const changed = ops.flatMap((op, i) => (op.kind === ' ' ? [] : [i]));
  let k = 0;
  while (k < changed.length) {
    // Changes with at most 2*context unchanged lines between them share a hunk.
    let last = k;
    while (last + 1 < changed.length && changed[last + 1] - changed[last] <= 2 * context + 1) last++;
    const from = Math.max(0, changed[k] - context);
    const to = Math.min(ops.length, changed[last] + context + 1);
    let oldStart = 0;
    let newStart = 0;
    for (let i = 0; i < from; i++) {
      if (ops[i].kind !== '+') oldStart++;
      if (ops[i].kind !== '-') newStart++;
    }
    const body = ops.slice(from, to);
    const oldCount = body.filter((op) => op.kind !== '+').length;
    const newCount = body.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const op of body) {
      out.push(op.kind + op.line.replace(/\n$/, ''));
      if (!op.line.endsWith('\n')) out.push(NO_NEWLINE);
    }
    k = last + 1;
  }
  return out.join('\n') + '\n';
}
