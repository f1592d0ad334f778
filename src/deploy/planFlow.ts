// `deployer plan`: what a deploy would do on each host, changing nothing.
// The local part is the deploy's (release files, env), without the build
// unless --build; the remote part is the read-only probe (no lock, no
// directories created); previewDeploy turns both into data.
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'dotenv';
import pc from 'picocolors';
import type { Context } from '../context.js';
import { artifactPath, findArtifact, runLocalCommand, type Artifact } from '../local/build.js';
import type { Redactor } from '../output/redact.js';
import { sha256, type ReleaseFile } from '../plan/planDeploy.js';
import { previewDeploy, type HostPreview } from '../plan/preview.js';
import { formatPreview } from '../plan/previewText.js';
import { formatWaves, waveOf } from '../plan/rollout.js';
import { forEachHost } from './hostRun.js';
import { selectHosts } from './hostSelection.js';
import { configForHost } from '../config/roles.js';
import { loadDeployConfig } from './commandConfig.js';
import { buildReleaseFiles, portInEnvWarning, resolveHostEnv } from './releaseFiles.js';

export interface PlanOptions {
  /** Run pre_build and build_command first, as deploy does. */
  build: boolean;
}

/** key -> sha256 of the value, from the .env text deployer would upload (dotenv reads it back exactly). */
export function hashEnvValues(envText: string): Record<string, string> {
  return Object.fromEntries(Object.entries(parse(envText)).map(([k, value]) => [k, sha256(value)]));
}

/** Redacts every string in a plain JSON-like value (the reporter only scrubs top-level fields). */
function redactDeep<T>(value: T, redactor: Redactor): T {
  if (typeof value === 'string') return redactor.redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redactor)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redactor)])) as T;
  return value;
}

export async function runPlan(ctx: Context, opts: PlanOptions): Promise<HostPreview[]> {
  const { reporter } = ctx;
  const { config, version } = loadDeployConfig(ctx);
  const hosts = selectHosts(config, ctx.global.host, ctx.global.role);
  reporter.info(
    `Planning ${config.appName} ${version} on ${hosts.map((h) => h.name).join(', ')} (read-only: nothing on the hosts changes)`,
  );

  if (opts.build) {
    const localEnv = { ...ctx.env, DEPLOYER_VERSION: version };
    if (config.hooks.preBuild)
      await runLocalCommand({
        command: config.hooks.preBuild,
        what: 'pre_build hook',
        cwd: config.root,
        env: localEnv,
        timeoutSec: config.buildTimeout,
        reporter,
      });
    if (config.buildCommand)
      await runLocalCommand({
        command: config.buildCommand,
        what: 'build_command',
        cwd: config.root,
        env: localEnv,
        timeoutSec: config.buildTimeout,
        reporter,
      });
  }
  // Without --build the artifact may not exist yet: units, Caddy and env can still be shown.
  const path = artifactPath(config, version);
  const present = existsSync(path) && statSync(path).isFile();
  const artifact: Artifact = present ? await findArtifact(config, version) : { path, name: basename(path), sha256: '', size: 0 };
  if (!present)
    reporter.warn(
      `the artifact ${path} does not exist${config.buildCommand ? ' (plan does not run build_command without --build)' : ''}: uploads and install are shown without it`,
    );

  const envs = new Map(
    await Promise.all(hosts.map(async (h) => [h.name, await resolveHostEnv(config, h, ctx.env, reporter.redactor)] as const)),
  );
  const port = portInEnvWarning(config, envs);
  if (port) reporter.warn(port);
  const local = new Map<string, { files: ReleaseFile[]; envHashes: Record<string, string> }>(
    await Promise.all(
      hosts.map(async (host) => {
        const all = await buildReleaseFiles({
          config,
          host,
          artifact,
          env: ctx.env,
          redactor: reporter.redactor,
          entries: envs.get(host.name),
        });
        const files = present ? all : all.filter((f) => f.label !== 'artifact');
        return [host.name, { files, envHashes: hashEnvValues(files.find((f) => f.path === '.env')?.content ?? '') }] as const;
      }),
    ),
  );

  const previews = await forEachHost(ctx, config, { lock: false, create: false, ports: true, version, command: 'plan' }, async (h) => {
    const { files, envHashes } = local.get(h.host.name)!;
    return previewDeploy({
      config: configForHost(config, h.host),
      host: h.host,
      version,
      files,
      artifactName: artifact.name,
      artifactMissing: present ? undefined : path,
      envHashes,
      state: h.state,
    });
  });

  const names = hosts.map((h) => h.name);
  if (reporter.json) {
    // With [rollout], each host's wave (src/plan/rollout.ts), as the deploy would run them.
    const waves = config.rollout ? waveOf(names, config.rollout) : undefined;
    for (const p of previews) {
      const rollout = waves?.get(p.host);
      reporter.emit({
        type: 'result',
        command: 'plan',
        ok: true,
        data: redactDeep({ ...p, ...(rollout ? { rollout } : {}) }, reporter.redactor),
      });
    }
  } else {
    const color = ctx.global.color !== false && !ctx.env.NO_COLOR && Boolean(process.stdout.isTTY);
    const paint = pc.createColors(color);
    const waves = config.rollout ? [formatWaves(names, config.rollout, config.rollback)] : [];
    reporter.print([...previews.map((p) => formatPreview(p, paint)), ...waves].join('\n\n'));
  }
  return previews;
}
