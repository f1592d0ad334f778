// Test hosts for the benchmark (the e2e tests' own helper) and the one thing
// the benchmark reads from them: how many SSH logins a command made.
import { startHost, type TestHost } from '../test/helpers/testhost.js';

/**
 * Boots `n` hosts at once. On a failure the ones that did boot are torn down
 * before the error is thrown, so a half-booted fleet never outlives the run.
 */
export async function bootHosts(n: number, prefix: string): Promise<TestHost[]> {
  const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => startHost({ name: `${prefix}-${i + 1}` })));
  const up = settled.filter((s): s is PromiseFulfilledResult<TestHost> => s.status === 'fulfilled').map((s) => s.value);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await downHosts(up);
    throw failed.reason;
  }
  return up;
}

export async function downHosts(hosts: TestHost[]): Promise<void> {
  await Promise.allSettled(hosts.map((h) => h.down()));
}

/**
 * Logins of the deploy user so far, from the host's sshd journal. The query
 * itself logs in as root, so it never counts itself.
 */
export async function countDeployLogins(host: TestHost): Promise<number> {
  const r = await host.ssh("journalctl -u ssh.service -o cat --no-pager | grep -c 'Accepted publickey for deploy '", { user: 'root' });
  const n = Number(r.stdout.trim());
  if (!Number.isInteger(n)) throw new Error(`${host.name}: cannot count sshd logins: ${r.stderr || r.stdout}`);
  return n;
}

/** Runs `fn` and returns, per host, how many deploy-user logins it made there. */
export async function withLoginCount<T>(hosts: TestHost[], fn: () => Promise<T>): Promise<{ value: T; logins: number[] }> {
  const before = await Promise.all(hosts.map(countDeployLogins));
  const value = await fn();
  const after = await Promise.all(hosts.map(countDeployLogins));
  return { value, logins: after.map((a, i) => a - before[i]) };
}
