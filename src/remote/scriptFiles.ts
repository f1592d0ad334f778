// The remote scripts are real shell files in `remote/` at the package root,
// shipped like `templates/`. A script reaches a host on the stdin of the
// command `bashReading(script)` (sent by src/ssh/sendScript.ts): a first line
// `set -- ARG...` (each value quoted by shellQuote: argv, never shell text
// built from values), then the file itself.
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { packageRoot } from '../packageRoot.js';
import { shellQuote } from '../shell/quote.js';

/** `remote/` at the package root. */
export function remoteScriptsDir(): string {
  return join(packageRoot(), 'remote') + sep;
}

export type RemoteScriptName =
  | 'phase.sh'
  | 'web.sh'
  | 'probe.sh'
  | 'server-prelude.sh'
  | 'server-bootstrap.sh'
  | 'server-create-user.sh'
  | 'app-instances.sh'
  | 'app-status.sh'
  | 'app-control.sh'
  | 'app-cat.sh'
  | 'app-env.sh'
  | 'app-backup.sh'
  | 'app-restore.sh'
  | 'exec.sh'
  | 'stop.sh';

const cache = new Map<RemoteScriptName, string>();

/** The text of one script file. */
export function readRemoteScript(name: RemoteScriptName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(remoteScriptsDir() + name, 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** Stdin for `bashReading`: the positional parameters, then the files in order. */
export function scriptWithArgs(args: readonly string[], ...files: RemoteScriptName[]): string {
  const set = ['set --', ...args.map(shellQuote)].join(' ');
  return [set, ...files.map(readRemoteScript)].join('\n');
}

/**
 * The command that runs `script`, sent on its stdin. Not `bash -s`: bash
 * reads a script from a pipe one byte at a time (so that commands in it can
 * read the rest of stdin), a system call per byte: about 90 ms for the phase
 * library on a small host, on every channel. `head -c` takes exactly the
 * script's bytes in large reads, so what follows on stdin (a verdict, the
 * end of input that releases a lock) is still there for the script. A script
 * cut short by a dropped connection never runs (exit 97): `bash -s` would
 * have run the part that arrived.
 */
export function bashReading(script: string): string {
  // The "." keeps the trailing newlines that $(...) strips; the count is of bytes (LC_ALL=C).
  const n = Buffer.byteLength(script, 'utf8') + 1;
  return `bash -c 'dp_script=$(head -c ${n - 1}; echo .); dp_len=$(LC_ALL=C; echo "\${#dp_script}"); [ "$dp_len" = ${n} ] || exit 97; eval "\${dp_script%.}"'`;
}
