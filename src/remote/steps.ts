// The step vocabulary, the contract between the planner (src/plan/) and the
// executor: `plan` and `--json` print steps (describeStep), the executor
// renders each phase's steps as calls to remote/phase.sh (stepArgv,
// src/remote/phaseScript.ts). Pure, so both sides may import it.

export type Step =
  | { kind: 'mkdir'; path: string; sudo?: boolean }
  | { kind: 'verify-sha256'; path: string; sha256: string }
  /** Atomic rename into place (same filesystem). */
  | { kind: 'move'; from: string; to: string; sudo?: boolean }
  /** ln -sfn to a temp name, then mv -T: the link is never missing. */
  | { kind: 'symlink'; target: string; path: string; sudo?: boolean }
  | { kind: 'remove'; paths: string[]; sudo?: boolean }
  | { kind: 'run'; argv: string[]; sudo?: boolean; desc: string }
  /** A command line the user wrote (release_command, hooks), run in the release with its .appenv. */
  | {
      kind: 'app-command';
      command: string;
      releaseDir: string;
      runAs?: string;
      desc: string;
      /** exported after .appenv, passed to dp_app as NAME=VALUE arguments */ env?: Record<string, string>;
    }
  /** Checks Caddy's whole config with `candidate` in place of `site`, changing nothing. */
  | { kind: 'caddy-validate'; caddyfile: string; sitesDir: string; site: string; candidate: string }
  // The switch, one decision per step (src/plan/activate.ts):
  /** Stops and disables the unit (every instance of a template) and removes its file. */
  | { kind: 'remove-unit'; unitDir: string; name: string }
  /** Disables the unit and removes its file, leaving it running (the restart-era web unit, stopped by the drain). */
  | { kind: 'retire-unit'; unitDir: string; name: string }
  /** Installs a unit file from the release (temp + rename). */
  | { kind: 'install-unit'; from: string; unitDir: string; name: string }
  | { kind: 'daemon-reload' }
  /** The atomic switch: appDir/current -> release, and the app dir's links into current/. */
  | { kind: 'switch-current'; appDir: string; release: string }
  /**
   * Stops `stop`, the instances of these template units the probe found loaded that are not in `keep` (replicas
   * scaled down); the host names any other it finds running, and leaves it.
   */
  | { kind: 'stop-unlisted'; templates: string[]; keep: string[]; stop: string[] }
  /** Starts units that are not running (a failed one is reset first); running ones are left alone. */
  | { kind: 'heal-units'; units: string[] }
  /** Enables the units, restarts the services and starts the sockets and timers. */
  | { kind: 'start-units'; restart: string[]; start: string[] }
  | { kind: 'install-site'; from: string; site: string }
  | { kind: 'remove-site'; site: string }
  /** A graceful reload of Caddy with `caddyfile`, the way the probe found it takes one (src/plan/activate.ts CaddyReload). */
  | { kind: 'reload-caddy'; caddyfile: string; via: 'admin-api'; address: string }
  | { kind: 'reload-caddy'; caddyfile: string; via: 'systemctl' }
  // Blue-green for the web process (src/plan/blueGreen.ts, remote/web.sh):
  /** Points each port's link at the release and starts the idle slot's instances (after stopping leftovers and a pending drain). */
  | {
      kind: 'web-start';
      appDir: string;
      release: string;
      drainUnit: string;
      units: string[];
      ports: number[];
      /** Stopped with the pending drain: a retired restart-era web unit whose drain would otherwise be cancelled. */
      stale?: string[];
    }
  /** Waits until the new instances are active, never restarted, and answer the health check on their own port. */
  | {
      kind: 'web-gate';
      units: string[];
      ports: number[];
      path: string;
      status: number;
      host: string;
      timeoutSec: number;
      stableSec: number;
    }
  /** Stops instances now, gracefully (the new slot, when the switch is undone). */
  | { kind: 'web-stop'; units: string[] }
  /**
   * Enables the new slot; `old` (the old slot, and any other instance of the template the probe found running)
   * gets `drainSec` for requests in flight, then a graceful stop.
   */
  | { kind: 'web-commit'; drainUnit: string; drainSec: number; units: string[]; old: string[] }
  /** Waits until every unit is active and has not restarted for `stableSec`. */
  | { kind: 'wait-units'; units: string[]; timeoutSec: number; stableSec: number }
  // Ownership (src/plan/ownership.ts) and the app user (src/plan/appUser.ts):
  /** Fails unless each unit file and the site is absent or this app's (marker, and no other app's owner line). */
  | { kind: 'check-owned'; marker: string; owner: string; unitDir: string; units: string[]; site?: string }
  /** rm -rf the app dir, only when its identity record is this app's. */
  | { kind: 'remove-app-dir'; appDir: string; identityFile: string; identity: string }
  /** Creates the dedicated app user unless it exists with this comment; fails if it exists with another. */
  | { kind: 'ensure-app-user'; name: string; comment: string }
  /** Creates the app's data dir, owned by the app user, when missing (an existing one is left as it is). */
  | { kind: 'ensure-data-dir'; path: string; user: string }
  /** While a release is prepared: `user` may add entries to it (not replace deployer's) and read its env files. */
  | { kind: 'open-release'; dir: string; user: string }
  /** Before it goes live: read-only for `user`, what it added handed to the SSH user, env files 0640 in its group. */
  | { kind: 'seal-release'; dir: string; user: string }
  /** Removes the app user, only when its comment says deployer created it for this app. */
  | { kind: 'remove-app-user'; name: string; comment: string }
  /** Writes small non-secret content (records) atomically. */
  | { kind: 'write'; path: string; content: string; mode: string }
  | { kind: 'append-line'; path: string; line: string };

/** One phase: its steps, run as one script (src/remote/phaseScript.ts). */
export interface ScriptSpec {
  phaseLock: string;
  steps: Step[];
  /** Run (best effort) when a step fails; then the script exits 10. */
  onFail?: Step[];
  /** After the steps: print @@ready, wait for a verdict line on stdin. */
  verdict?: { timeoutSec: number; commit: Step[]; rollback: Step[] };
}

export interface Upload {
  /** Local file path, or in-memory content. */
  local?: string;
  content?: string;
  /** Secret contents are never printed by `plan` or --json. */
  secret?: boolean;
  remote: string;
  sha256: string;
  size: number;
  mode: number;
  /** What it is, for output: "artifact", ".env", "unit web.service". */
  label: string;
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'mkdir':
      return `mkdir ${step.path}`;
    case 'verify-sha256':
      return `verify sha256 of ${step.path}`;
    case 'move':
      return `move ${step.from} -> ${step.to}`;
    case 'symlink':
      return `link ${step.path} -> ${step.target}`;
    case 'remove':
      return `remove ${step.paths.join(' ')}`;
    case 'run':
      return step.desc;
    case 'app-command':
      return step.desc;
    case 'caddy-validate':
      return `validate Caddy config with the new ${step.site}`;
    case 'remove-unit':
      return `stop and remove unit ${step.name}`;
    case 'retire-unit':
      return `remove unit ${step.name} (it stops after the drain)`;
    case 'install-unit':
      return `install unit ${step.name}`;
    case 'daemon-reload':
      return 'systemctl daemon-reload';
    case 'switch-current':
      return `switch ${step.appDir}/current to ${step.release}`;
    case 'stop-unlisted':
      return step.stop.length
        ? `stop ${step.stop.join(', ')}: the release does not run ${step.stop.length === 1 ? 'it' : 'them'}`
        : `stop no instance of ${step.templates.join(', ')}: none runs that the release does not`;
    case 'heal-units':
      return `start ${step.units.join(', ')} again`;
    case 'start-units':
      return `restart ${[...step.restart, ...step.start].join(', ')}`;
    case 'install-site':
      return `install Caddy site ${step.site}`;
    case 'remove-site':
      return `remove Caddy site ${step.site}`;
    case 'reload-caddy':
      return step.via === 'admin-api'
        ? `reload Caddy through its admin API on ${step.address}`
        : 'reload Caddy with systemctl reload caddy';
    case 'check-owned':
      return `check that ${[...step.units, ...(step.site ? [step.site] : [])].join(', ') || 'nothing'} ${step.units.length + (step.site ? 1 : 0) === 1 ? 'is' : 'are'} this app's to replace`;
    case 'remove-app-dir':
      return `remove ${step.appDir} (its identity record is this app's)`;
    case 'ensure-app-user':
      return `create the app user ${step.name} unless it exists`;
    case 'ensure-data-dir':
      return `create ${step.path} for ${step.user} unless it exists`;
    case 'remove-app-user':
      return `remove the app user ${step.name} (created by deployer for this app)`;
    case 'open-release':
      return `let ${step.user} add files to the release (release_command, pre_switch) and read its env files`;
    case 'seal-release':
      return `seal the release: read-only for ${step.user}, which reads its env files`;
    case 'wait-units':
      return `wait until ${step.units.join(', ')} ${step.units.length === 1 ? 'is' : 'are'} active`;
    case 'write':
      return `write ${step.path}`;
    case 'append-line':
      return `append to ${step.path}`;
    case 'web-start':
      return `start ${step.units.join(', ')} from ${step.release}`;
    case 'web-gate':
      return `wait until ${step.units.join(', ')} ${step.units.length === 1 ? 'answers' : 'answer'} ${step.path ? `GET ${step.path} with ${step.status}` : 'HTTP'} on ${step.units.length === 1 ? 'its port' : 'their ports'}`;
    case 'web-stop':
      return `stop ${step.units.join(', ')}`;
    case 'web-commit':
      return step.old.length
        ? `keep ${step.units.join(', ')}; stop ${step.old.join(', ')} after ${step.drainSec} s of drain`
        : `keep ${step.units.join(', ')}`;
  }
}

const ms = (seconds: number) => String(Math.round(seconds * 1000));
const sudoArgv = (sudo: boolean | undefined, argv: string[]) => (sudo ? ['sudo', '-n', ...argv] : argv);

/** The command (argv) that performs one step: a plain command or a function of remote/phase.sh. */
export function stepArgv(step: Step): string[] {
  switch (step.kind) {
    case 'mkdir':
      return sudoArgv(step.sudo, ['mkdir', '-p', '--', step.path]);
    case 'verify-sha256':
      return ['dp_verify', step.path, step.sha256];
    case 'move':
      return sudoArgv(step.sudo, ['mv', '-fT', '--', step.from, step.to]);
    case 'symlink':
      return ['dp_symlink', step.sudo ? 'sudo' : '-', step.target, step.path];
    case 'remove':
      return sudoArgv(step.sudo, ['rm', '-rf', '--', ...step.paths]);
    case 'run':
      return sudoArgv(step.sudo, step.argv);
    case 'app-command':
      return ['dp_app', step.runAs ?? '', step.releaseDir, step.command, ...Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${v}`)];
    case 'caddy-validate':
      return ['dp_caddy_validate', step.caddyfile, step.sitesDir, step.site, step.candidate];
    case 'remove-unit':
      return ['dp_remove_unit', step.unitDir, step.name];
    case 'retire-unit':
      return ['dp_retire_unit', step.unitDir, step.name];
    case 'heal-units':
      return ['dp_heal_units', ...step.units];
    case 'install-unit':
      return ['dp_install_unit', step.from, step.unitDir, step.name];
    case 'daemon-reload':
      return ['dp_daemon_reload'];
    case 'switch-current':
      return ['dp_switch_current', step.appDir, step.release];
    case 'stop-unlisted':
      return ['dp_stop_unlisted', ...step.templates, '--', ...step.keep, '--', ...step.stop];
    case 'start-units':
      return ['dp_start_units', ...step.restart, '--', ...step.start];
    case 'install-site':
      return ['dp_install_site', step.from, step.site];
    case 'remove-site':
      return ['dp_remove_site', step.site];
    case 'reload-caddy':
      return ['dp_reload_caddy', step.caddyfile, ...(step.via === 'admin-api' ? [step.via, step.address] : [step.via])];
    case 'web-start':
      return [
        'dp_web_start',
        step.appDir,
        step.release,
        step.drainUnit,
        ...step.units.flatMap((u, i) => [u, String(step.ports[i])]),
        ...(step.stale?.length ? ['--', ...step.stale] : []),
      ];
    case 'web-gate':
      return [
        'dp_web_gate',
        ms(step.timeoutSec),
        ms(step.stableSec),
        step.path,
        String(step.status),
        step.host,
        ...step.units.flatMap((u, i) => [u, String(step.ports[i])]),
      ];
    case 'web-stop':
      return ['dp_web_stop', ...step.units];
    case 'web-commit':
      return ['dp_web_commit', step.drainUnit, String(step.drainSec), ...step.units, '--', ...step.old];
    case 'check-owned':
      return ['dp_check_owned', step.marker, step.owner, step.unitDir, step.site ?? '', ...step.units];
    case 'remove-app-dir':
      return ['dp_remove_app_dir', step.appDir, step.identityFile, step.identity];
    case 'ensure-app-user':
      return ['dp_ensure_user', step.name, step.comment];
    case 'ensure-data-dir':
      return ['dp_data_dir', step.path, step.user];
    case 'remove-app-user':
      return ['dp_remove_user', step.name, step.comment];
    case 'open-release':
      return ['dp_open_release', step.user, step.dir];
    case 'seal-release':
      return ['dp_seal_release', step.user, step.dir];
    case 'wait-units':
      return ['dp_wait_units', ms(step.timeoutSec), ms(step.stableSec), ...step.units];
    case 'write':
      return ['dp_write', step.path, step.mode, step.content];
    case 'append-line':
      return ['dp_append_line', step.path, step.line];
  }
}
