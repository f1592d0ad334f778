// Installed release versions for `rollback --to <TAB>`, read from the host
// over SSH (read-only: no lock, nothing created). Called only when the config
// file exists; any failure, or a host slower than the time limit, offers
// nothing, so a TAB never hangs or prints an error.
import { loadConfig } from '../config/load.js';
import { createContext } from '../context.js';
import { connectHost } from '../deploy/connect.js';
import type { ValueRequest } from './complete.js';

/** Long enough for a VPS across an ocean, short enough for a TAB. */
export const VERSIONS_TIMEOUT_MS = 4000;

export async function readInstalledVersions(cwd: string, file: string, request: ValueRequest): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), VERSIONS_TIMEOUT_MS);
    timer.unref();
  });
  const read = async (): Promise<string[]> => {
    // hosts_command is not run on a TAB (it would block past the time limit): its hosts offer no versions.
    const config = loadConfig({ file, cwd, stage: request.stage, runHostsCommand: false });
    const host = config.hosts.find((h) => h.name === request.host) ?? config.hosts[0];
    if (!host) return [];
    // A context whose reporter is quiet: completion output must be only candidates.
    const ctx = { ...createContext({ config: file, stage: request.stage }), interactive: false };
    const { handle, lock } = await connectHost(ctx, config, host, { lock: false, command: 'completion' });
    try {
      const { releases, current } = handle.state;
      // Newest first, as .versions lists them; the live release is no rollback target.
      const order = new Map(handle.state.versions.map((r, i) => [r.version, i]));
      return releases.filter((v) => v !== current).sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9));
    } finally {
      lock.release();
      handle.session.close();
    }
  };
  try {
    return await Promise.race([read().catch(() => []), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
