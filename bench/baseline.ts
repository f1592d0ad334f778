// The OpenSSH baselines, each deploying the same artifact as our binary deploy
// into its own app dir: bench/baseline.sh opens one `ssh`/`scp` per step;
// bench/floor.sh is the one-connection floor (one `ssh` streams the binary and
// runs the nine steps).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../test/helpers/project.js';
import type { TestHost } from '../test/helpers/testhost.js';
import { tail } from './cli.js';
import { withLoginCount } from './hosts.js';

const execFileAsync = promisify(execFile);
export type BaselineKind = 'per-step' | 'floor';
const SCRIPTS: Record<BaselineKind, { script: string; app: string; port: number }> = {
  'per-step': { script: join(repoRoot, 'bench', 'baseline.sh'), app: 'baseline', port: 8300 },
  floor: { script: join(repoRoot, 'bench', 'floor.sh'), app: 'floor', port: 8350 },
};

export interface BaselineRun {
  wallMs: number;
  logins: number;
  /** Step name -> seconds, as the script reports them. */
  steps: Record<string, number>;
}

export async function runBaseline(
  host: TestHost,
  artifact: string,
  version: string,
  kind: BaselineKind = 'per-step',
): Promise<BaselineRun> {
  const { script, app, port } = SCRIPTS[kind];
  let wallMs = 0;
  let stderr = '';
  const { logins } = await withLoginCount([host], async () => {
    const t0 = performance.now();
    try {
      const args = [script, host.sshConfigPath, `deploy@${host.name}`, app, version, artifact, String(port), `http://${app}.localhost`];
      stderr = (await execFileAsync('bash', args, { timeout: 300_000 })).stderr;
    } catch (e) {
      throw new Error(`${script} failed: ${(e as Error).message}\n${tail(String((e as { stderr?: string }).stderr ?? ''))}`);
    }
    wallMs = performance.now() - t0;
  });
  const steps: Record<string, number> = {};
  for (const m of stderr.matchAll(/^step (\S+) ([\d.]+)$/gm)) steps[m[1]] = Number(m[2]);
  return { wallMs, logins: logins[0], steps };
}

/** Removes what the baseline installed, so its next run is a cold deploy again. */
export async function removeBaseline(host: TestHost, kind: BaselineKind = 'per-step'): Promise<void> {
  const { app } = SCRIPTS[kind];
  const unit = `${app}-web.service`;
  const r = await host.ssh(
    `systemctl disable --now --quiet ${unit}; rm -rf /srv/deployer/${app} /etc/systemd/system/${unit} /etc/caddy/sites/${app}.caddy && systemctl daemon-reload && systemctl reload caddy`,
    { user: 'root' },
  );
  if (r.code !== 0) throw new Error(`removing the baseline app failed: ${r.stderr}`);
}
