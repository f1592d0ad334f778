// Choosing hosts (--host) and working on several at once with a bound.
import type { Config, HostConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';

export function selectHosts(config: Config, names: string[] | undefined): HostConfig[] {
  if (!names || names.length === 0) return config.hosts;
  const known = new Map(config.hosts.map((h) => [h.name, h]));
  return names.map((n) => {
    const h = known.get(n);
    if (!h) {
      throw new ConfigError(`--host ${n}: no host named "${n}" in ${config.file}${config.stage ? ` (stage ${config.stage})` : ''}`, {
        hint: `known hosts: ${[...known.keys()].join(', ')}`,
      });
    }
    return h;
  });
}

/** Runs fn over items, at most `limit` at a time; results in input order; all settle. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i], i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Who is deploying, for the lock holder line, .versions and the history log. */
export function whoAmI(env: NodeJS.ProcessEnv, user: string, host: string): string {
  if (env.GITHUB_ACTIONS === 'true') {
    const run = env.GITHUB_RUN_ID ? ` run ${env.GITHUB_RUN_ID}` : '';
    return `${env.GITHUB_ACTOR ?? 'github'}@github-actions${run}`;
  }
  return `${user}@${host}`;
}
