// Choosing hosts (--host) and working on several at once with a bound.
import type { Config, HostConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { declaredRoles, hostHasRole } from '../config/roles.js';

/**
 * The hosts a command works on: every host, or those named by --host, of
 * those the ones with a --role (see src/config/roles.ts: a host without roles
 * has every role). Both given: the named hosts that have one of the roles.
 */
export function selectHosts(config: Config, names: string[] | undefined, roles?: string[]): HostConfig[] {
  const named = !names || names.length === 0 ? config.hosts : names.map((n) => findHost(config, n));
  if (!roles || roles.length === 0) return named;
  const known = declaredRoles(config.hosts);
  for (const role of roles) {
    if (known.includes(role)) continue;
    throw new ConfigError(
      `--role ${role}: no host has the role "${role}" in ${config.file}${config.stage ? ` (stage ${config.stage})` : ''}`,
      {
        hint: known.length ? `known roles: ${known.join(', ')}` : 'no host has roles: add roles = ["web"] to a host, or leave out --role',
      },
    );
  }
  const chosen = named.filter((h) => roles.some((r) => hostHasRole(h, r)));
  if (chosen.length === 0) {
    throw new ConfigError(`--host ${names!.join(', ')} with --role ${roles.join(', ')}: none of these hosts has that role`, {
      hint: `hosts with it: ${config.hosts
        .filter((h) => roles.some((r) => hostHasRole(h, r)))
        .map((h) => h.name)
        .join(', ')}`,
    });
  }
  return chosen;
}

function findHost(config: Config, n: string): HostConfig {
  const h = config.hosts.find((x) => x.name === n);
  if (!h) {
    throw new ConfigError(`--host ${n}: no host named "${n}" in ${config.file}${config.stage ? ` (stage ${config.stage})` : ''}`, {
      hint: `known hosts: ${config.hosts.map((x) => x.name).join(', ')}`,
    });
  }
  return h;
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
