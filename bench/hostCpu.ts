// CPU time the test hosts spent, from their cgroups (test/host/testhost.sh
// puts each host in <cgroup root>/<group>/<name>: `ct` is the container,
// `proxy-PORT` the loopback proxies). All hosts share this machine's cores,
// so a fleet's wall time is bounded below by its hosts' CPU over the cores.
import { readFileSync } from 'node:fs';
import { testhostCgroupGroup, type TestHost } from '../test/helpers/testhost.js';

const ROOTS = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'];

/** usage_usec of one cgroup v2 dir, in ms; undefined when there is none. */
function usageMs(dir: string): number | undefined {
  try {
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(`${dir}/cpu.stat`, 'utf8'));
    return m ? Number(m[1]) / 1000 : undefined;
  } catch {
    return undefined;
  }
}

export interface HostCpu {
  /** The containers: sshd, the phase scripts, systemd, the app, Caddy. */
  hostMs: number;
  /** The loopback proxies (the simulated network). */
  proxyMs: number;
}

/** The hosts' CPU so far; NaN when this machine has no cgroup v2 accounting. */
export function readHostCpu(hosts: TestHost[]): HostCpu {
  const group = testhostCgroupGroup();
  let hostMs = 0;
  let proxyMs = 0;
  for (const h of hosts) {
    const root = ROOTS.map((r) => `${r}/${group}/${h.name}`).find((d) => usageMs(d) !== undefined);
    if (!root) return { hostMs: NaN, proxyMs: NaN };
    const all = usageMs(root)!;
    const ct = usageMs(`${root}/ct`) ?? NaN;
    hostMs += ct;
    proxyMs += all - ct;
  }
  return { hostMs, proxyMs };
}

export function cpuSince(before: HostCpu, hosts: TestHost[]): HostCpu {
  const now = readHostCpu(hosts);
  return { hostMs: now.hostMs - before.hostMs, proxyMs: now.proxyMs - before.proxyMs };
}
