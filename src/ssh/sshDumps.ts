// `ssh -G` for many hosts at once. Every host of a deploy asks for its dumps
// at the same moment, and each process started from Node costs the CLI a fork
// of its whole self (~100 ms of CPU per host on a busy machine, and two per
// host before). So the requests of one turn of the event loop go to a few `sh`
// processes (their forks are cheap), each running `ssh -G` for its share of
// the aliases, and OpenSSH's defaults (`-F /dev/null`) once: they differ
// between aliases only in the alias itself (`host`, `hostname`). A dump that
// failed is asked again alone, so its error is its own.
import { execFile } from 'node:child_process';

/** `ssh ARGS` output; undefined when there is no ssh binary. */
export type RunSsh = (args: string[]) => string | undefined | Promise<string | undefined>;

export const runSshOnce: RunSsh = (args) =>
  new Promise((resolve, reject) => {
    execFile('ssh', args, { encoding: 'utf8', timeout: 10_000 }, (err, stdout) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return resolve(undefined);
      reject(err);
    });
  });

/** The resolved dump and the defaults dump of one alias. */
export type Dumps = [resolved: string | undefined, defaults: string | undefined];

interface Waiting {
  alias: string;
  resolve: (d: Dumps) => void;
  reject: (e: Error) => void;
}

/** At most this many `sh` at once: parallel enough, and few forks of the CLI. */
const PROCESSES = 4;
// The record separator ends each dump, followed by ssh's exit status.
const SEP = '\x1e';
// $1: the -F file or ''; the defaults of the first alias, then each alias resolved.
const SCRIPT = `command -v ssh >/dev/null 2>&1 || exit 127
f=$1; shift
ssh -F /dev/null -G -- "$1" 2>/dev/null
printf '${SEP}%s\\n' "$?"
for a do
  if [ -n "$f" ]; then ssh -F "$f" -G -- "$a" 2>/dev/null; else ssh -G -- "$a" 2>/dev/null; fi
  printf '${SEP}%s\\n' "$?"
done`;

let queue: Waiting[] = [];
let queuedFile: string | undefined;

/** Both dumps of `alias`; `file` is the -F config file ('' for ssh's own choice). */
export function sshDumps(alias: string, file: string): Promise<Dumps> {
  return new Promise((resolve, reject) => {
    // A different file (never within one command) goes in a batch of its own.
    if (queue.length && queuedFile !== file) flush();
    queuedFile = file;
    queue.push({ alias, resolve, reject });
    if (queue.length === 1) setImmediate(flush);
  });
}

function flush(): void {
  const batch = queue;
  const file = queuedFile ?? '';
  queue = [];
  const size = Math.ceil(batch.length / PROCESSES);
  for (let i = 0; i < batch.length; i += size) runChunk(batch.slice(i, i + size), file);
}

function runChunk(chunk: Waiting[], file: string): void {
  const aliases = chunk.map((w) => w.alias);
  const opts = { encoding: 'utf8' as const, timeout: 10_000 + 1_000 * aliases.length, maxBuffer: 64 << 20 };
  execFile('sh', ['-c', SCRIPT, 'sh', file, ...aliases], opts, (err, stdout) => {
    if (err && (err as { code?: unknown }).code === 127) return chunk.forEach((w) => w.resolve([undefined, undefined]));
    const [defaults, ...resolved] = err ? [] : splitDumps(stdout);
    chunk.forEach((w, i) => {
      const r = resolved[i];
      if (defaults?.ok && r?.ok) return w.resolve([r.text, defaultsFor(defaults.text, aliases[0], w.alias)]);
      // Alone, the way it always ran: its own error, or the parser's fallback.
      const fileArgs = file ? ['-F', file] : [];
      Promise.all([runSshOnce([...fileArgs, '-G', '--', w.alias]), runSshOnce(['-F', '/dev/null', '-G', '--', w.alias])]).then(
        w.resolve,
        w.reject,
      );
    });
  });
}

/** OpenSSH's defaults dumped for `from`, as they read for `alias`. */
export function defaultsFor(dump: string, from: string, alias: string): string {
  if (from === alias) return dump;
  // `host` keeps the alias as typed; `hostname` is lowercased by ssh.
  return dump
    .replace(/^host (.*)$/m, (line, value: string) => (value === from ? `host ${alias}` : line))
    .replace(/^hostname (.*)$/m, (line, value: string) => (value === from.toLowerCase() ? `hostname ${alias.toLowerCase()}` : line));
}

/** The dumps in order, each with whether its ssh exited 0. */
export function splitDumps(out: string): Array<{ text: string; ok: boolean }> {
  const parts: Array<{ text: string; ok: boolean }> = [];
  let rest = out;
  for (;;) {
    const at = rest.indexOf(SEP);
    if (at < 0) return parts;
    const nl = rest.indexOf('\n', at);
    parts.push({ text: rest.slice(0, at), ok: rest.slice(at + 1, nl < 0 ? undefined : nl) === '0' });
    rest = nl < 0 ? '' : rest.slice(nl + 1);
  }
}
