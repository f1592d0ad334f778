// Renders a phase (a list of steps) into one bash script, sent on the stdin
// of one exec channel (src/exec/sendScript.ts): the fixed library
// remote/phase.sh, then the phase's steps as calls to its functions, each
// argument quoted by shellQuote (argv, never shell text built from values).
// The user's own release_command/hook lines run as one quoted argument.
//
// remote/phase.sh ignores SIGHUP/SIGPIPE (if the client dies mid-phase the
// host finishes the phase, or for the switch reverts) and holds the phase
// lock, so the next deploy waits for it.
import { readRemoteScript } from './scriptFiles.js';
import { shellJoin } from '../shell/quote.js';
import { describeStep, stepArgv, type ScriptSpec, type Step } from './steps.js';

/** Exit codes of rendered scripts, read by the executor (DP_EXIT_* in remote/phase.sh). */
export const ScriptExit = { stepFailed: 10, rolledBack: 11, lockBusy: 12 } as const;

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
