// Renders a phase (a list of steps) into one bash script, sent on stdin to
// `bash -s` over one exec channel: the fixed library remote/phase.sh, then
// the phase's steps as calls to its functions, each argument quoted by
// shellQuote (argv, never shell text built from values). The user's own
// release_command/hook lines run through `bash -c` as one quoted argument.
//
// remote/phase.sh ignores SIGHUP/SIGPIPE (if the client dies mid-phase the
// host finishes the phase, or for the switch reverts) and holds the phase
// lock, so the next deploy waits for it.
import { readRemoteScript } from '../remote/scripts.js';
import { shellJoin } from '../shell/quote.js';
import type { Step } from './steps.js';
import { describeStep } from './steps.js';

export interface ScriptSpec {
  phaseLock: string;
  steps: Step[];
  /** Run (best effort) when a step fails; then the script exits 10. */
  onFail?: Step[];
  /** After the steps: print @@ready, wait for a verdict line on stdin. */
  verdict?: { timeoutSec: number; commit: Step[]; rollback: Step[] };
}

/** Exit codes of rendered scripts, read by the executor (DP_EXIT_* in remote/phase.sh). */
export const ScriptExit = { stepFailed: 10, rolledBack: 11, lockBusy: 12 } as const;

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
    case 'mark':
      return ['dp_mark', step.name];
  }
}

/** One line of a phase: a checked step (its failure ends the phase) or a best-effort one. */
export function renderStep(step: Step, checked = true): string {
  return shellJoin([checked ? 'dp_step' : 'dp_try', markerText(describeStep(step)), ...stepArgv(step)]);
}

/**
 * A description as the host prints it after a marker (`@@step …`, `@@fail …`):
 * one line, since the client reads markers line by line. A multi-line
 * release_command would otherwise print its second line as if the host had
 * said it, or a line starting with `@@` as a marker of its own.
 */
export function markerText(description: string): string {
  return description.replace(/\r?\n|\r/g, ' ⏎ ');
}

function renderFunction(name: string, steps: Step[], checked: boolean): string[] {
  return [`${name}() {`, ...steps.map((s) => `  ${renderStep(s, checked)}`), '  :', '}'];
}

export function renderScript(spec: ScriptSpec): string {
  const lines: string[] = [
    readRemoteScript('phase.sh').trimEnd(),
    readRemoteScript('web.sh').trimEnd(),
    '# The phase',
    ...renderFunction('dp_steps', spec.steps, true),
    ...renderFunction('dp_on_fail', spec.onFail ?? [], false),
    ...renderFunction('dp_commit', spec.verdict?.commit ?? [], false),
    ...renderFunction('dp_rollback', spec.verdict?.rollback ?? [], false),
    // The last line: bash has read every function before the verdict `read`
    // consumes the next line of stdin.
    shellJoin(['dp_phase', spec.phaseLock, ...(spec.verdict ? [String(spec.verdict.timeoutSec)] : [])]),
    '',
  ];
  return lines.join('\n');
}
