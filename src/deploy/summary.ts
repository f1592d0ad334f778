// In GitHub Actions, a deploy appends a Markdown summary to the job's page
// and writes `url` and `version` to the step's outputs (docs/ci.md).
import { appendFileSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { formatMs } from '../output/reporter.js';

export interface HostOutcome {
  host: string;
  uploads: number;
  uploadedBytes: number;
  installSkipped: boolean;
  daemonReload: boolean;
  caddyReload: boolean;
  healthy: boolean;
  pruned: string[];
}

export interface SummaryExtras {
  urls?: string[];
  totalMs?: number;
}

export function renderStepSummary(config: Config, version: string, hosts: HostOutcome[], ok: boolean, extras: SummaryExtras = {}): string {
  const rows = hosts.map(
    (h) =>
      `| ${h.host} | ${h.healthy && ok ? '✅ live' : h.healthy ? '↩️ rolled back' : '❌ failed, rolled back'} | ${h.uploads} | ${h.installSkipped ? 'reused' : 'installed'} | ${h.daemonReload ? 'yes' : 'no'} | ${h.pruned.join(', ') || '–'} |`,
  );
  return [
    `### deployer: ${config.appName} ${version} ${ok ? 'deployed' : 'FAILED'}`,
    '',
    ...(extras.urls?.length ? [extras.urls.map((u) => `<${u}>`).join(' · '), ''] : []),
    ...(extras.totalMs !== undefined ? [`Total time: ${formatMs(extras.totalMs)}`, ''] : []),
    '| host | result | files uploaded | install | units changed | pruned |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

export function writeStepSummary(
  env: NodeJS.ProcessEnv,
  config: Config,
  version: string,
  hosts: HostOutcome[],
  ok: boolean,
  extras: SummaryExtras = {},
): void {
  if (!env.GITHUB_STEP_SUMMARY) return;
  appendFileSync(env.GITHUB_STEP_SUMMARY, renderStepSummary(config, version, hosts, ok, extras) + '\n');
}

/** `name=value` lines for $GITHUB_OUTPUT (values are single-line: URLs and versions). */
export function renderGithubOutputs(outputs: Record<string, string | undefined>): string {
  return Object.entries(outputs)
    .filter((e): e is [string, string] => e[1] !== undefined && !/[\r\n]/.test(e[1]))
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

export function writeGithubOutputs(env: NodeJS.ProcessEnv, outputs: Record<string, string | undefined>): void {
  if (!env.GITHUB_OUTPUT) return;
  appendFileSync(env.GITHUB_OUTPUT, renderGithubOutputs(outputs));
}

/** For a deploy that stopped before any host's verdict (build, SSH, lock, prepare): what failed and why. */
export function renderFailureSummary(appName: string, version: string, message: string, hint?: string): string {
  // Inside a Markdown code block nothing in the message can break the page.
  const block = (s: string) => '```\n' + s.replace(/```/g, "'''") + '\n```';
  return [`### deployer: ${appName} ${version} FAILED`, '', block(message), ...(hint ? ['', `hint: ${hint}`] : []), ''].join('\n');
}

export function writeFailureSummary(env: NodeJS.ProcessEnv, appName: string, version: string, message: string, hint?: string): void {
  if (!env.GITHUB_STEP_SUMMARY) return;
  appendFileSync(env.GITHUB_STEP_SUMMARY, renderFailureSummary(appName, version, message, hint) + '\n');
}
