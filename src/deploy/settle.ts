// The one way a step over several hosts ends: every host settles, then the
// first failure is thrown and the others are reported, so no host's reason is lost.
import { DeployerError } from '../errors.js';
import type { Reporter } from '../output/reporter.js';

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The values in order, or the first failure (with `note` on the hosts' state appended) after reporting the others. */
export function settle<T>(reporter: Reporter, results: PromiseSettledResult<T>[], note?: string): T[] {
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length === 0) return results.map((r) => (r as PromiseFulfilledResult<T>).value);
  for (const f of failed.slice(1)) reporter.error(messageOf(f.reason));
  const first = failed[0].reason;
  if (!(first instanceof Error)) throw new DeployerError(String(first));
  if (first instanceof DeployerError && note) {
    throw new DeployerError(`${first.message}. ${note}`, { exitCode: first.exitCode, hint: first.hint, details: first.details });
  }
  throw first;
}
