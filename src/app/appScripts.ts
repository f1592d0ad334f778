// The remote commands of `deployer app …`: the scripts remote/app-*.sh with
// their arguments, and command lines joined by shellJoin. Unit tests run them
// in a real bash with stub systemctl/sudo.
//
// The units a command acts on come from the host, not the config: the
// current release's `.deployer/instances` lists exactly what the deploy
// started. The config may already say something else (replicas = 3 not yet
// deployed), and starting `app-web@8002` by hand would run an instance the
// deploy never made.
import type { Layout } from '../plan/layout.js';
import { readRemoteScript, scriptWithArgs } from '../remote/scriptFiles.js';
import { shellJoin } from '../shell/quote.js';

export type UnitAction = 'start' | 'stop' | 'restart';

/** Runs as root without sudo (a fresh VPS may not have it), else through `sudo -n`. */
export function sudoArgv(sshUser: string, argv: string[]): string[] {
  return sshUser === 'root' ? argv : ['sudo', '-n', ...argv];
}

/**
 * The script (remote/app-status.sh): prints `@@now EPOCH`, then
 * `@@unit NAME BASE64` per unit (its `systemctl show` properties plus
 * `Since=EPOCH`).
 */
export function renderStatusScript(layout: Pick<Layout, 'appDir'>, bases: readonly string[]): string {
  return scriptWithArgs([layout.appDir, ...bases], 'app-instances.sh', 'app-status.sh');
}

export interface ControlRequest {
  layout: Pick<Layout, 'appDir'>;
  action: UnitAction;
  /** Unit stems to act on; empty: every unit of the app. */
  bases: readonly string[];
  sshUser: string;
  /** Seconds to wait for started units to be active (and for each rolled web instance to answer). */
  waitSec: number;
  /**
   * The health check a blue-green web instance must pass on its own port
   * before a rolling restart moves to the next: path ('' : any HTTP answer),
   * status, Host header ('' : 127.0.0.1:PORT).
   */
  health: { path: string; status: number; host: string };
}

/**
 * The script (remote/app-control.sh): systemctl start/stop/restart
 * on the release's units, then `@@state UNIT STATE` for each; exits 1 when a
 * started unit is not active within waitSec. A blue-green web process's live
 * instances restart one at a time, each healthy before the next
 * (`@@web-restart rolling|in-place UNIT...`); web.sh brings dp_http_status.
 */
export function renderControlScript(req: ControlRequest): string {
  const waitSec = String(Math.max(1, Math.floor(req.waitSec)));
  return scriptWithArgs(
    [
      req.layout.appDir,
      req.action,
      waitSec,
      req.sshUser === 'root' ? 'root' : 'sudo',
      req.health.path,
      String(req.health.status),
      req.health.host,
      ...req.bases,
    ],
    'app-instances.sh',
    'web.sh',
    'app-control.sh',
  );
}

// `app exec` / `app shell` enter the app's environment through remote/app-env.sh (src/app/enter.ts).

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
