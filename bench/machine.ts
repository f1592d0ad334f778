// The machine the figures come from: they mean little without it.
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem, version as kernelVersion } from 'node:os';

export interface MachineInfo {
  date: string;
  nproc: number;
  cpu: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  openssh: string;
  loadStart: number[];
  loadEnd?: number[];
}

export function describeMachine(): MachineInfo {
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 1024 ** 3,
    kernel: `${release()} (${kernelVersion()})`,
    node: process.version,
    openssh: sshVersion(),
    loadStart: loadavg(),
  };
}

export function formatLoad(l: number[] | undefined): string {
  return l ? l.map((x) => x.toFixed(2)).join(' ') : 'n/a';
}

function sshVersion(): string {
  // `ssh -V` prints its version on stderr.
  const r = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  return (r.stderr || r.stdout || 'unknown').trim();
}
