// Steps 1–2 of a deploy, on this machine: hooks, the build, the artifact and
// each host's release files (env, units, site).
import { findArtifact, runLocalCommand } from '../local/build.js';
import { formatBytes } from '../output/reporter.js';
import { buildReleaseFiles, portInEnvWarning, resolveHostEnv } from './releaseFiles.js';
import type { Flow, LocalResult } from './flow.js';

/**
 * `dialing` settles once the SSH handshakes have started: with no build to
 * run, the hashing and rendering wait for it, so they overlap the hosts' answers.
 */
export async function buildLocally(flow: Flow, signal?: AbortSignal, dialing?: Promise<void>): Promise<LocalResult> {
  const { ctx, config, version, opts } = flow;
  const { reporter } = ctx;
  const builds = opts.action === 'deploy' && Boolean(config.hooks.preBuild || config.buildCommand);
  if (!builds) await dialing;
  // Env first: its secret values must be known to the redactor before any build output is printed.
  const envs = new Map(
    await Promise.all(flow.hosts.map(async (h) => [h.name, await resolveHostEnv(config, h, ctx.env, reporter.redactor)] as const)),
  );
  const port = portInEnvWarning(config, envs);
  if (port) reporter.warn(port);
  if (opts.action === 'deploy') {
    const env = { ...ctx.env, DEPLOYER_VERSION: version };
    const run = (command: string, what: string) =>
      runLocalCommand({ command, what, cwd: config.root, env, timeoutSec: config.buildTimeout, reporter, signal });
    if (config.hooks.preBuild) await run(config.hooks.preBuild, 'pre_build hook');
    if (config.buildCommand) {
      reporter.emit({ type: 'phase', phase: 'build', status: 'start' });
      await run(config.buildCommand, 'build_command');
    }
  }
  const artifact = await findArtifact(config, version);
  const files = new Map(
    await Promise.all(
      flow.hosts.map(
        async (h) =>
          [
            h.name,
            await buildReleaseFiles({ config, host: h, artifact, env: ctx.env, redactor: reporter.redactor, entries: envs.get(h.name) }),
          ] as const,
      ),
    ),
  );
  reporter.emit({
    type: 'phase',
    phase: 'build',
    label: opts.action === 'deploy' ? 'build' : 'local checks',
    status: 'done',
    ms: flow.timings.lap('build'),
    detail: `${artifact.name}, ${formatBytes(artifact.size)}`,
  });
  return { artifact, files };
}
