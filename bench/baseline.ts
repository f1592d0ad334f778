// The per-step OpenSSH baseline (bench/baseline.sh): one `ssh`/`scp` per step,
// deploying the same artifact as our binary deploy into its own app dir.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../test/helpers/project.js';
import type { TestHost } from '../test/helpers/testhost.js';
import { tail } from './cli.js';
import { withLoginCount } from './hosts.js';

const execFileAsync = promisify(execFile);
const script = join(repoRoot, 'bench', 'baseline.sh');

export const BASELINE_APP = 'baseline';
export const BASELINE_PORT = 8300;

export interface BaselineRun {
  wallMs: number;
  logins: number;
  /** Step name -> seconds, as the script reports them. */
  steps: Record<string, number>;
}

export async function runBaseline(host: TestHost, artifact: string, version: string): Promise<BaselineRun> {
  let wallMs = 0;
  let stderr = '';
  const { logins } = await withLoginCount([host], async () => {
    const t0 = performance.now();
    try {
      const args = [
        script,
        host.sshConfigPath,
        `deploy@${host.name}`,
        BASELINE_APP,
        version,
        artifact,
        String(BASELINE_PORT),
        `http://${BASELINE_APP}.localhost`,
      ];
      stderr = (await execFileAsync('bash', args, { timeout: 300_000 })).stderr;
    } catch (e) {
      throw new Error(`bench/baseline.sh failed: ${(e as Error).message}\n${tail(String((e as { stderr?: string }).stderr ?? ''))}`);
    }
    wallMs = performance.now() - t0;
  });
  const steps: Record<string, number> = {};
  for (const m of stderr.matchAll(/^step (\S+) ([\d.]+)$/gm)) steps[m[1]] = Number(m[2]);
  return { wallMs, logins: logins[0], steps };
}

/** Removes what the baseline installed, so its next run is a cold deploy again. */
export async function removeBaseline(host: TestHost): Promise<void> {
  const unit = `${BASELINE_APP}-web.service`;
  const r = await host.ssh(
    `systemctl disable --now --quiet ${unit}; rm -rf /srv/deployer/${BASELINE_APP} /etc/systemd/system/${unit} /etc/caddy/sites/${BASELINE_APP}.caddy && systemctl daemon-reload && systemctl reload caddy`,
    { user: 'root' },
  );
  if (r.code !== 0) throw new Error(`removing the baseline app failed: ${r.stderr}`);
}
