// The end hooks of a deploy, whatever happened: on_failure and always on the
// locked hosts (in the release that serves now), then their _local forms.
// A failing end hook only warns: the deploy's own outcome and exit code stand.
import { DeployerError } from '../errors.js';
import { runLocalCommand } from '../local/build.js';
import { appUserFor } from '../plan/appUser.js';
import { layoutFor } from '../plan/layout.js';
import type { ScriptSpec } from '../remote/steps.js';
import type { Flow, Locked } from './flow.js';

export type Outcome = 'success' | 'failure';

export interface DeployEnd {
  outcome: Outcome;
  /** Hosts whose deploy failed (every locked host when the deploy stopped before a verdict). */
  failedHosts: Set<string>;
  /** Hosts where a release serves after the deploy (the hook runs in it). */
  servingHosts: Set<string>;
}

export function remoteHookScript(flow: Flow, host: Locked, key: 'on_failure' | 'always', command: string, outcome: Outcome): ScriptSpec {
  const L = layoutFor(flow.config);
  const appUser = appUserFor(flow.config).name;
  const runAs = appUser !== host.host.user ? appUser : undefined;
  return {
    phaseLock: L.phaseLockFile,
    steps: [
      {
        kind: 'app-command',
        command,
        env: { DEPLOYER_VERSION: flow.version, DEPLOYER_OUTCOME: outcome },
        releaseDir: `${L.appDir}/current`,
        runAs,
        desc: `${key} hook: ${command}`,
      },
    ],
  };
}

export async function runEndHooks(flow: Flow, held: Locked[], end: DeployEnd): Promise<void> {
  const { ctx, config, version } = flow;
  const { reporter } = ctx;
  const { hooks } = config;
  const warn = (what: string, e: unknown, host?: string) =>
    reporter.warn(`${what} failed: ${e instanceof Error ? e.message : String(e)}`, host);
  for (const h of held) {
    const remote: Array<['on_failure' | 'always', string | undefined]> = [
      ['on_failure', end.failedHosts.has(h.host.name) ? hooks.onFailure : undefined],
      ['always', hooks.always],
    ];
    for (const [key, command] of remote) {
      if (!command) continue;
      if (!end.servingHosts.has(h.host.name)) {
        reporter.warn(`${key} hook not run: no release serves on this host to run it in`, h.host.name);
        continue;
      }
      try {
        const res = await h.remote.runScript(remoteHookScript(flow, h, key, command, end.outcome));
        if (!res.ok)
          reporter.warn(
            `${key} hook failed (exit ${res.code ?? '?'})${res.stderr.trim() ? `: ${res.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
            h.host.name,
          );
      } catch (e) {
        warn(`${key} hook`, e, h.host.name);
      }
    }
  }
  const env = { ...ctx.env, DEPLOYER_VERSION: version, DEPLOYER_OUTCOME: end.outcome };
  const local: Array<[string, string | undefined]> = [
    ['on_failure_local hook', end.outcome === 'failure' ? hooks.onFailureLocal : undefined],
    ['always_local hook', hooks.alwaysLocal],
  ];
  for (const [what, command] of local) {
    if (!command) continue;
    try {
      await runLocalCommand({ command, what, cwd: config.root, env, timeoutSec: config.buildTimeout, reporter });
    } catch (e) {
      warn(what, e instanceof DeployerError ? e : new Error(String(e)));
    }
  }
}
