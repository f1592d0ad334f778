// The remote scripts are real shell files in `remote/` at the package root,
// shipped like `templates/`. A script reaches a host on the stdin of the
// command SCRIPT_READER (sent by src/ssh/sendScript.ts): a first line
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
  | 'stop.sh'
  | 'upload.sh';

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

/** A script for SCRIPT_READER: the positional parameters, then the files in order. */
export function scriptWithArgs(args: readonly string[], ...files: RemoteScriptName[]): string {
  const set = ['set --', ...args.map(shellQuote)].join(' ');
  return [set, ...files.map(readRemoteScript)].join('\n');
}

/**
 * The command every script runs under, the same for all of them, so that its
 * channel can be opened before the script is known (src/ssh/session.ts
 * prewarm). Its stdin: a line with the script's byte count, then the script
 * (framedScript), then whatever the script itself reads. Not `bash -s`: bash
 * reads a script from a pipe one byte at a time (so that commands in it can
 * read the rest of stdin), a system call per byte: about 90 ms for the phase
 * library on a small host, on every channel. `head -c` takes exactly the
 * script's bytes in large reads, so what follows on stdin (a verdict, the
 * end of input that releases a lock, uploaded files) is still there for the
 * script. A script cut short by a dropped connection never runs (exit 97):
 * `bash -s` would have run the part that arrived; nor does anything run when
 * stdin closes before a count (a channel opened ahead and never used).
 */
export const SCRIPT_READER =
  `bash -c 'IFS= read -r dp_n || exit 97; case $dp_n in ""|*[!0-9]*|0?*) exit 97;; esac; ` +
  // The "." keeps the trailing newlines that $(...) strips; the count is of bytes (LC_ALL=C).
  `dp_script=$(head -c "$dp_n"; echo .); dp_len=$(LC_ALL=C; echo "\${#dp_script}"); ` +
  `[ "$dp_len" = "$((dp_n + 1))" ] || exit 97; eval "\${dp_script%.}"'`;

/** What SCRIPT_READER reads first: the script's byte count on a line, then the script. */
export function framedScript(script: string): string {
  return `${Buffer.byteLength(script, 'utf8')}\n${script}`;
}
