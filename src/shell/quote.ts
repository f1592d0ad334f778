// The one way a value reaches a remote shell. Every argument is wrapped in
// single quotes (POSIX: nothing is special inside them), and a single quote
// inside becomes '\'' . Plain words that cannot be misread are left bare so
// scripts stay readable in debug output.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv array into one command line, each word quoted. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('shellJoin: empty argv');
  return argv.map(shellQuote).join(' ');
}
