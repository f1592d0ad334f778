// The real RunCommand used by resolveEnv: no shell, stdin closed (so a CLI
// that wants to prompt fails instead of hanging a CI job), 30 s timeout.
// Failure messages give the exit status and the end of stderr, never stdout,
// which is where a secret would be.
import type { RunCommand } from './adapters/types.js';

const TIMEOUT_MS = 30_000;

export const runLocalCommand: RunCommand = async (cmd, args, env) => {
  // Lazy: execa costs ~80 ms to import and most commands never need it.
  const { execa } = await import('execa');
  const r = await execa(cmd, args, {
    env,
    extendEnv: false,
    shell: false,
    stdin: 'ignore',
    timeout: TIMEOUT_MS,
    reject: false,
    stripFinalNewline: false,
  });
  if (!r.failed) return r.stdout;
  if (r.code === 'ENOENT') throw new Error(`${cmd} was not found on PATH`);
  if (r.timedOut) throw new Error(`${cmd} did not finish within ${TIMEOUT_MS / 1000} s`);
  const status = r.exitCode !== undefined ? `exited with code ${r.exitCode}` : `was stopped by ${r.signal ?? 'a signal'}`;
  const stderr = tail(typeof r.stderr === 'string' ? r.stderr : '');
  throw new Error(`${cmd} ${status}${stderr ? `: ${stderr}` : ''}`);
};

/** The last few lines of stderr, where CLIs put the reason. */
function tail(text: string): string {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const kept = lines.slice(-3).join(' | ');
  return kept.length > 300 ? `…${kept.slice(-300)}` : kept;
}
