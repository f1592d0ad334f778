// Upload throughput of a 100 MiB artifact next to OpenSSH `scp` of the same
// file to the same filesystem of the same host (runs interleaved), and the
// peak RSS of the CLI deploying a 1 GiB artifact.
// The artifact is the binary example padded with random bytes (as in
// test/e2e/faults.test.ts): incompressible, and it still runs.
import { execFile } from 'node:child_process';
import { copyFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestHost } from '../test/helpers/testhost.js';
import { testhostBaseDir } from '../test/helpers/testhost.js';
import type { Project } from '../test/helpers/project.js';
import { runCli } from './cli.js';
import { benchProject } from './projects.js';
import { measurePeakRss, type RssResult } from './rss.js';
import { freeBytes } from './setup.js';

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;
export const UPLOAD_BYTES = 100 * MiB;
export const BIG_BYTES = 1024 * MiB;

export interface UploadResult {
  bytes: number;
  /** Our upload phase (the file streamed over an exec channel, the connection already open) per run. */
  oursMs: number[];
  oursBytes: number;
  /** `scp` wall time per run, its own connection setup included. */
  scpMs: number[];
  /** `scp` of a 1-byte file per run: scp's fixed cost (connection, auth, SFTP session), which our upload phase does not pay. */
  handshakeMs: number[];
  big?: RssResult & { bytes: number };
  bigSkipped?: string;
}

export async function measureUploads(
  host: TestHost,
  opts: { reps: number; rss: boolean; log: (line: string) => void },
): Promise<UploadResult> {
  const project = benchProject('binary-app', [host], { app: 'bench-big', port: 8700, buildCommand: null });
  try {
    const artifact = join(project.dir, 'dist', 'hello-bin');
    await execFileAsync('./build.sh', [], { cwd: project.dir });
    copyFileSync(artifact, `${artifact}.base`);
    const tiny = join(project.dir, 'dist', 'one-byte');
    writeFileSync(tiny, 'x');
    const scpDir = '/srv/deployer/bench-scp';
    const mk = await host.ssh(`install -d -o deploy -g deploy ${scpDir}`, { user: 'root' });
    if (mk.code !== 0) throw new Error(`cannot create ${scpDir}: ${mk.stderr}`);

    const res: UploadResult = { bytes: UPLOAD_BYTES, oursMs: [], oursBytes: 0, scpMs: [], handshakeMs: [] };
    for (let i = 1; i <= opts.reps; i++) {
      // Fresh random bytes every run: the deploy may copy a file the host already has instead of uploading it.
      await padTo(artifact, UPLOAD_BYTES);
      project.setVersion(`2.0.${i}`);
      const r = await runCli(project, [host], ['deploy']);
      const ms = r.phases.upload;
      const bytes = r.hosts[0]?.uploadedBytes ?? 0;
      if (!ms || bytes < UPLOAD_BYTES) throw new Error(`the deploy uploaded ${bytes} bytes, not the ${UPLOAD_BYTES} of the artifact`);
      res.oursMs.push(ms);
      res.oursBytes = bytes;
      res.scpMs.push(await timeScp(host, ['-q', artifact, `deploy@${host.name}:${scpDir}/artifact`]));
      res.handshakeMs.push(await timeScp(host, ['-q', tiny, `deploy@${host.name}:${scpDir}/tiny`]));
      opts.log(
        `upload ${i}: ours ${ms.toFixed(0)} ms, scp ${res.scpMs.at(-1)!.toFixed(0)} ms, scp of 1 byte ${res.handshakeMs.at(-1)!.toFixed(0)} ms`,
      );
    }
    await host.ssh(`rm -rf ${scpDir}`, { user: 'root' });

    if (opts.rss) {
      const need = 3 * BIG_BYTES;
      const short = [project.dir, testhostBaseDir()].find((p) => freeBytes(p) < need);
      if (short) res.bigSkipped = `less than ${need / MiB} MiB free under ${short}`;
      else res.big = await measureBig(project, artifact, opts.log);
    } else {
      res.bigSkipped = 'no way to measure peak RSS (GNU time missing)';
    }
    return res;
  } finally {
    project.cleanup();
  }
}

async function measureBig(project: Project, artifact: string, log: (line: string) => void): Promise<RssResult & { bytes: number }> {
  await padTo(artifact, BIG_BYTES);
  project.setVersion('3.0.0');
  const r = await measurePeakRss(project.dir, ['deploy', '--json']);
  if (r.uploadedBytes < BIG_BYTES) throw new Error(`the 1 GiB deploy uploaded ${r.uploadedBytes} bytes, not the artifact`);
  log(`1 GiB deploy: peak RSS ${(r.peakRssKiB / 1024).toFixed(0)} MiB, upload ${r.uploadMs.toFixed(0)} ms, wall ${r.wallMs.toFixed(0)} ms`);
  return { ...r, bytes: BIG_BYTES };
}

/** The built binary (kept as FILE.base) followed by random bytes up to `bytes`. */
async function padTo(file: string, bytes: number): Promise<void> {
  copyFileSync(`${file}.base`, file);
  const missing = bytes - statSync(file).size;
  if (missing < 0) throw new Error(`${file} is already larger than ${bytes} bytes`);
  await execFileAsync('bash', ['-c', 'head -c "$1" /dev/urandom >> "$2"', 'pad', String(missing), file]);
  if (statSync(file).size !== bytes) throw new Error(`padding ${file} to ${bytes} bytes failed`);
}

async function timeScp(host: TestHost, args: string[]): Promise<number> {
  const t0 = performance.now();
  await execFileAsync('scp', ['-F', host.sshConfigPath, '-o', 'ControlMaster=no', '-o', 'ControlPath=none', ...args], { timeout: 300_000 });
  return performance.now() - t0;
}
