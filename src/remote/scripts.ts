// The remote scripts are real shell files in `remote/` at the package root,
// shipped like `templates/`. A script reaches a host as the stdin of
// `bash -s`: a first line `set -- ARG...` (each value quoted by shellQuote:
// argv, never shell text built from values), then the file itself.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../shell/quote.js';

/** `remote/` at the package root (dist/src/remote/ -> ../../../remote). */
export function remoteScriptsDir(): string {
  return fileURLToPath(new URL('../../../remote/', import.meta.url));
}

export type RemoteScriptName =
  | 'phase.sh'
  | 'probe.sh'
  | 'server-prelude.sh'
  | 'server-bootstrap.sh'
  | 'server-create-user.sh'
  | 'app-instances.sh'
  | 'app-status.sh'
  | 'app-control.sh'
  | 'app-cat.sh'
  | 'app-env.sh'
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

/** Stdin for `bash -s`: the positional parameters, then the files in order. */
export function scriptWithArgs(args: readonly string[], ...files: RemoteScriptName[]): string {
  const set = ['set --', ...args.map(shellQuote)].join(' ');
  return [set, ...files.map(readRemoteScript)].join('\n');
}
