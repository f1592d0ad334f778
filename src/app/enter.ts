// The command line that runs something in the app's environment, for
// `app exec`, `app shell` and `server exec --appenv`: remote/app-env.sh
// sources the release's .appenv, sets PORT from the live web unit, enters
// the current release and execs the command. The command's words travel as
// positional parameters (never re-parsed by a shell), as the app user via
// `sudo -n -u` only when that is not the SSH user.
import { shellJoin } from '../shell/quote.js';
import { readRemoteScript } from '../remote/scriptFiles.js';

export interface AppCommand {
  appDir: string;
  /** `<app>-web`: the units whose PORT the command gets. */
  webUnitStem: string;
  sshUser: string;
  appUser: string;
  argv: readonly string[];
  /** Print `@@deployer-pgid N` first on stderr (not under a pty, where it would show). */
  reportPid: boolean;
}

export function appCommandLine(opts: AppCommand): string {
  if (opts.argv.length === 0) throw new Error('appCommandLine: empty argv');
  const inner = [
    'bash',
    '-c',
    readRemoteScript('app-env.sh'),
    'deployer-app',
    opts.appDir,
    opts.webUnitStem,
    opts.reportPid ? '1' : '0',
    ...opts.argv,
  ];
  return shellJoin(opts.appUser !== opts.sshUser ? ['sudo', '-n', '-u', opts.appUser, '--', ...inner] : inner);
}

/** A command run as it is, after reporting its PID (`server exec`). */
export function plainCommandLine(argv: readonly string[]): string {
  return shellJoin(['bash', '-c', readRemoteScript('exec.sh'), 'deployer-exec', ...argv]);
}

/** Stops a command that reported its PID: its process group gets `signal` (as root when it runs as another user). */
export function stopCommandLine(pid: number, signal: 'INT' | 'KILL', sudo: boolean): string {
  const argv = ['bash', '-c', readRemoteScript('stop.sh'), 'deployer-stop', String(pid), signal];
  return shellJoin(sudo ? ['sudo', '-n', ...argv] : argv);
}

/**
 * What `app exec` runs for the words it was given. One word is a command line,
 * as Kamal and ssh take it (`app exec "python manage.py shell"`), run by bash;
 * several words are the argv itself, kept word for word.
 */
export function execArgv(words: readonly string[]): string[] {
  return words.length === 1 ? ['bash', '-c', words[0]] : [...words];
}

/**
 * An interactive shell for `app shell`. Not a login shell: /etc/profile
 * would reset PATH and drop the venv that .appenv put first.
 */
export const SHELL_ARGV = ['bash', '-i'] as const;
