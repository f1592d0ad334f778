// Test hosts for the benchmark (the e2e tests' own helper) and the one thing
// the benchmark reads from them: how many SSH logins a command made.
import { readFileSync, writeFileSync } from 'node:fs';
import { startHost, type TestHost } from '../test/helpers/testhost.js';

const INOTIFY = '/proc/sys/fs/inotify/max_user_instances';

/**
 * Each booted host's systemd takes inotify instances of the machine's root
 * user (path units, journald, logind…): past the default limit of 128 a host
 * boots `degraded` with failed path units. Raised (never lowered) to room for
 * `n` hosts besides what already runs; the harness needs root anyway.
 */
function raiseInotifyInstances(n: number): void {
  const want = 256 + 64 * n;
  try {
    if (Number(readFileSync(INOTIFY, 'utf8')) < want) writeFileSync(INOTIFY, String(want));
  } catch {
    // Not Linux, or not allowed: the boot says what failed.
  }
}

/**
 * Boots `n` hosts, `concurrency` at a time: dozens booting at once on a small
 * machine starve each other's systemd past its boot timeout. A host whose boot
 * failed gets one more try (the harness cleans up a failed `up`). On a final
 * failure the hosts that did boot are torn down before the error is thrown,
 * so a half-booted fleet never outlives the run.
 */
export async function bootHosts(n: number, prefix: string, concurrency = 6): Promise<TestHost[]> {
  raiseInotifyInstances(n);
  const up: TestHost[] = [];
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < n) {
      const name = `${prefix}-${++next}`;
      try {
        up.push(await startHost({ name }).catch(() => startHost({ name })));
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  if (failure !== undefined) {
    await downHosts(up);
    throw failure;
  }
  // Host order is name order: the first hosts are the canary and the 1-host runs.
  return up.sort((a, b) => Number(a.name.split('-').pop()) - Number(b.name.split('-').pop()));
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
