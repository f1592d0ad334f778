// The remote commands of `deployer app …`, as text built from quoted values
// (shellQuote/shellJoin) around fixed bash: pure, so unit tests compare them
// and run them in a real bash with stub systemctl/sudo.
//
// The units a command acts on come from the host, not the config: the
// current release's `.deployer/instances` lists exactly what the deploy
// started. The config may already say something else (replicas = 3 not yet
// deployed), and starting `app-web@8002` by hand would run an instance the
// deploy never made.
import type { Layout } from '../plan/layout.js';
import { shellJoin, shellQuote } from '../shell/quote.js';

export type UnitAction = 'start' | 'stop' | 'restart';

const v = (name: string, value: string) => `${name}=${shellQuote(value)}`;
const array = (name: string, values: readonly string[]) => `${name}=(${values.map(shellQuote).join(' ')})`;

/** Runs as root without sudo (a fresh VPS may not have it), else through `sudo -n`. */
export function sudoArgv(sshUser: string, argv: string[]): string[] {
  return sshUser === 'root' ? argv : ['sudo', '-n', ...argv];
}

// Reads the current release's unit list, keeping the units whose name starts
// with one of $bases (`<base>.` or `<base>@`); an empty $bases keeps all.
const READ_INSTANCES = [
  'inst="$appdir/current/.deployer/instances"',
  'all=() restart=() start=()',
  'if [ -f "$inst" ]; then',
  '  while read -r act unit; do',
  '    [ -n "$unit" ] || continue',
  '    keep=$(( ${#bases[@]} == 0 ))',
  '    for b in "${bases[@]}"; do case $unit in "$b".*|"$b"@*) keep=1 ;; esac; done',
  '    [ $keep = 1 ] || continue',
  '    all+=("$unit")',
  '    if [ "$act" = start ]; then start+=("$unit"); else restart+=("$unit"); fi',
  '  done < "$inst"',
  'fi',
];

/**
 * Prints `@@now EPOCH`, then `@@unit NAME BASE64` per unit, where BASE64 is
 * its `systemctl show` properties plus `Since=EPOCH` (the host converts the
 * timestamp: its `date` reads systemd's format and knows its own time zone).
 */
export function renderStatusScript(layout: Pick<Layout, 'appDir'>, bases: readonly string[]): string {
  return [
    'set -u',
    v('appdir', layout.appDir),
    array('bases', bases),
    ...READ_INSTANCES,
    'echo "@@now $(date +%s)"',
    'for unit in "${all[@]}"; do',
    '  props=$(systemctl show -p ActiveState -p SubState -p ActiveEnterTimestamp -p MainPID -p NRestarts -- "$unit" 2>/dev/null)',
    '  ts=$(printf \'%s\\n\' "$props" | sed -n \'s/^ActiveEnterTimestamp=//p\')',
    '  since=""; [ -n "$ts" ] && since=$(date -d "$ts" +%s 2>/dev/null)',
    '  echo "@@unit $unit $(printf \'%s\\nSince=%s\\n\' "$props" "$since" | base64 -w0)"',
    'done',
    'echo "@@end"',
    '',
  ].join('\n');
}

export interface ControlRequest {
  layout: Pick<Layout, 'appDir'>;
  action: UnitAction;
  /** Unit stems to act on; empty: every unit of the app. */
  bases: readonly string[];
  sshUser: string;
  /** Seconds to wait for started units to be active. */
  waitSec: number;
}

/**
 * systemctl start/stop/restart on the release's units, then `@@state UNIT
 * STATE` for each. Sockets (listed with action `start`) are started, never
 * restarted: restarting a socket whose service holds it fails. Exits 1 when a
 * started unit is not active within waitSec, after its last log lines.
 */
export function renderControlScript(req: ControlRequest): string {
  const systemctl = (...args: string[]) => shellJoin(sudoArgv(req.sshUser, ['systemctl', ...args]));
  const journal = shellJoin(sudoArgv(req.sshUser, ['journalctl', '--no-pager', '-o', 'cat', '-n', '10', '-u']));
  const lines = [
    'set -u',
    v('appdir', req.layout.appDir),
    array('bases', req.bases),
    ...READ_INSTANCES,
    '[ -f "$inst" ] || { echo "@@error nothing is deployed in $appdir (no current release)"; exit 1; }',
    '[ ${#all[@]} -gt 0 ] || { echo "@@error the current release has no units for this process"; exit 1; }',
  ];
  if (req.action === 'stop') {
    lines.push(`${systemctl('stop', '--')} "\${all[@]}" || exit 1`);
  } else if (req.action === 'start') {
    lines.push(`${systemctl('start', '--')} "\${all[@]}" || exit 1`);
  } else {
    lines.push(
      `if [ \${#restart[@]} -gt 0 ]; then ${systemctl('restart', '--')} "\${restart[@]}" || exit 1; fi`,
      `if [ \${#start[@]} -gt 0 ]; then ${systemctl('start', '--')} "\${start[@]}" || exit 1; fi`,
    );
  }
  if (req.action !== 'stop') {
    // `systemctl start` returns once a simple service is forked; give a
    // crashing one a moment to show it, so "restarted" means "up".
    lines.push(
      `deadline=$(( SECONDS + ${Math.max(1, Math.floor(req.waitSec))} ))`,
      'sleep 0.5',
      'while :; do',
      '  down=0',
      '  for u in "${all[@]}"; do [ "$(systemctl show -p ActiveState --value -- "$u")" = active ] || down=1; done',
      '  [ $down = 0 ] || [ $SECONDS -ge $deadline ] && break',
      '  sleep 0.3',
      'done',
    );
  }
  lines.push(
    'rc=0',
    'for u in "${all[@]}"; do',
    '  st=$(systemctl show -p ActiveState --value -- "$u")',
    '  echo "@@state $u $st"',
    req.action === 'stop'
      ? '  [ "$st" = inactive ] || [ "$st" = failed ] || rc=1'
      : `  if [ "$st" != active ]; then rc=1; echo "$u is $st; its last log lines:" >&2; ${journal} "$u" >&2 || true; fi`,
    'done',
    'exit $rc',
    '',
  );
  return lines.join('\n');
}

// Enters the app's environment: .appenv exports the env and PATH (venv or
// binary dir), then the command runs in the current release.
const ENTER = [
  '[ -r "$1/.appenv" ] || { echo "deployer: cannot read $1/.appenv as $(id -un): is the app deployed, and readable by this user?" >&2; exit 127; }',
  'set -a; . "$1/.appenv"; set +a; export DEPLOYER_DATA_DIR="$1/data"',
  'cd "$1/current" || exit 127',
  'shift; exec "$@"',
].join('\n');

/**
 * The command line for `app exec` / `app shell`: argv runs as positional
 * parameters of a fixed script (never re-parsed by a shell), as the app user
 * via `sudo -n -u` only when that is not the SSH user.
 */
export function appCommandLine(opts: { appDir: string; sshUser: string; appUser: string; argv: readonly string[] }): string {
  if (opts.argv.length === 0) throw new Error('appCommandLine: empty argv');
  const inner = ['bash', '-c', ENTER, 'deployer-app', opts.appDir, ...opts.argv];
  return shellJoin(opts.appUser !== opts.sshUser ? ['sudo', '-n', '-u', opts.appUser, '--', ...inner] : inner);
}

/**
 * An interactive shell for `app shell`. Not a login shell: /etc/profile
 * would reset PATH and drop the venv that .appenv put first.
 */
export const SHELL_ARGV = ['bash', '-i'] as const;

export interface LogsRequest {
  units: readonly string[];
  sshUser: string;
  follow: boolean;
  lines?: number;
  since?: string;
}

/** Lines shown when neither -n nor --since says how far back to go. */
export const DEFAULT_LOG_LINES = 100;

/** `journalctl` for the units; sudo because a deploy user is rarely in systemd-journal. */
export function logsCommandLine(req: LogsRequest): string {
  const argv = ['journalctl', '--no-pager'];
  for (const u of req.units) argv.push('-u', u);
  const lines = req.lines ?? (req.since === undefined ? DEFAULT_LOG_LINES : undefined);
  if (lines !== undefined) argv.push('-n', String(lines));
  if (req.since !== undefined) argv.push('--since', req.since);
  if (req.follow) argv.push('-f');
  return shellJoin(sudoArgv(req.sshUser, argv));
}
