// A deploy is data: a list of steps per phase. `plan` and `--json` print these; the executor renders each phase into one bash script
// (src/plan/script.ts) and runs it over one exec channel.

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
  | { kind: 'append-line'; path: string; line: string }
  /** Tells the client a named point was reached (progress, and test pause points). */
  | { kind: 'mark'; name: string };

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
    case 'mark':
      return step.name;
  }
}
