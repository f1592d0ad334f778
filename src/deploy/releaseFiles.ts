// Everything a release directory must hold on one host, computed locally:
// the artifact, requirements and wheels, the resolved .env and .appenv
// (secret), the rendered units and Caddy site, and the instance list.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Config, HostConfig } from '../config/types.js';
import { configForHost } from '../config/roles.js';
import { ConfigError } from '../errors.js';
import type { Redactor } from '../output/redact.js';
import { sha256, type ReleaseFile } from '../plan/planDeploy.js';
import { layoutFor } from '../plan/layout.js';
import { clearValues } from './clearValues.js';
import { ownerLine } from '../plan/ownership.js';
import { portsLineOf } from '../plan/ports.js';
import { unitMarker } from '../plan/probeRequest.js';
import { SLOTS, slotSitePath } from '../plan/slots.js';
import { bundledTemplatesDir, createRenderer, renderAll } from '../render/index.js';
import { unitBaseName } from '../render/names.js';
import { BACKUP_SCRIPT_PATH } from '../render/backupViews.js';
import { readRemoteScript } from '../remote/scriptFiles.js';
import {
  formatAppEnv,
  formatEnvFile,
  literalSecrets,
  parseEnvText,
  resolveEnv,
  runLocalCommand as runSecretCommand,
  type EnvEntry,
} from '../secrets/index.js';
import type { Artifact } from '../local/build.js';

const rel = (config: Config, p: string) => (isAbsolute(p) ? p : resolve(config.root, p));

function textFile(path: string, content: string, label: string, mode = 0o644, secret = false): ReleaseFile {
  return { path, content, sha256: sha256(content), size: Buffer.byteLength(content), mode, label, secret };
}

/** The env text for a host: envfile then inline env (host settings win over top-level ones). */
export function envSources(config: Config, host: HostConfig): Array<{ text: string; source: string }> {
  const out: Array<{ text: string; source: string }> = [];
  const envfile = host.envfile ?? config.envfile;
  if (envfile) {
    const path = rel(config, envfile);
    if (!existsSync(path)) {
      throw new ConfigError(`${config.file}: envfile ${envfile} (host ${host.name}) does not exist at ${path}`, {
        hint: 'create it, or fix the envfile path (relative to deployer.toml)',
      });
    }
    out.push({ text: readFileSync(path, 'utf8'), source: path });
  }
  const inline = host.env ?? config.env;
  if (inline) out.push({ text: inline, source: `${config.file} (env of host ${host.name})` });
  return out;
}

/** Resolves a host's env and registers its secret values (resolved and literal) with the redactor. */
export async function resolveHostEnv(config: Config, host: HostConfig, env: NodeJS.ProcessEnv, redactor: Redactor): Promise<EnvEntry[]> {
  const merged = new Map<string, string>();
  for (const { text, source } of envSources(config, host)) for (const e of parseEnvText(text, source)) merged.set(e.key, e.value);
  const entries = [...merged].map(([key, value]) => ({ key, value }));
  // What the config shows in clear (domains, app, commands …) is printed whole even where an env value matches it.
  redactor.keep(clearValues(config));
  for (const s of literalSecrets(entries, config.publicEnv)) redactor.add(s);
  const resolved = await resolveEnv(entries, {
    adapter: config.secrets.adapter,
    options: config.secrets.options,
    jsonEnv: config.secrets.jsonEnv,
    env,
    runCommand: runSecretCommand,
  });
  for (const s of resolved.secrets) redactor.add(s);
  return resolved.entries;
}

/**
 * PORT is deployer's (Environment=PORT=%i per instance). EnvironmentFile= wins
 * over Environment=, so a PORT in a .env would put every instance on one port.
 */
export function withoutPort(entries: readonly EnvEntry[]): EnvEntry[] {
  return entries.filter((e) => e.key !== 'PORT');
}

/** The warning for hosts whose env sets PORT (said once per deploy), or undefined. */
export function portInEnvWarning(config: Config, envs: ReadonlyMap<string, readonly EnvEntry[]>): string | undefined {
  const hosts = [...envs].filter(([, entries]) => entries.some((e) => e.key === 'PORT')).map(([name]) => name);
  if (hosts.length === 0) return undefined;
  const where = config.hosts.length > 1 ? ` (host${hosts.length === 1 ? '' : 's'} ${hosts.join(', ')})` : '';
  return `the env sets PORT${where}, which deployer leaves out of the app's environment: it sets PORT for each web instance itself (from webserver.upstream), and that value always wins. Fix: remove PORT from env (a worker that needs a port of its own: give it another name)`;
}

export async function buildReleaseFiles(opts: {
  config: Config;
  host: HostConfig;
  artifact: Artifact;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  /** The host's env, when already resolved (deploy resolves it before the build, to redact build output). */
  entries?: EnvEntry[];
}): Promise<ReleaseFile[]> {
  // Nothing here depends on the release id: the same files serve v1.2.3 or
  // v1.2.3_2 (see chooseRelease), so they can be compared across releases.
  const { host, artifact } = opts;
  // Only the units of the processes this host runs; the Caddy site only where the web process runs.
  const config = configForHost(opts.config, host);
  const L = layoutFor(config);
  const files: ReleaseFile[] = [
    { path: artifact.name, local: artifact.path, sha256: artifact.sha256, size: artifact.size, mode: 0o644, label: 'artifact' },
  ];

  if (config.requirements) {
    const path = rel(config, config.requirements);
    if (!existsSync(path))
      throw new ConfigError(`${config.file}: requirements = "${config.requirements}" does not exist at ${path}`, {
        hint: 'fix the path, or remove the key',
      });
    files.push(textFile('requirements.txt', readFileSync(path, 'utf8'), 'requirements.txt'));
  }
  if (config.wheelhouse) {
    const dir = rel(config, config.wheelhouse);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new ConfigError(`${config.file}: wheelhouse = "${config.wheelhouse}" is not a directory (${dir})`, {
        hint: 'build it with `pip wheel -r requirements.txt -w wheels/`, or remove the key',
      });
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.whl'))
      .sort()) {
      const content = readFileSync(join(dir, name));
      files.push({
        path: `wheels/${name}`,
        local: join(dir, name),
        sha256: sha256(content),
        size: content.length,
        mode: 0o644,
        label: `wheel ${name}`,
      });
    }
  }

  const entries = withoutPort(opts.entries ?? (await resolveHostEnv(config, host, opts.env, opts.redactor)));
  files.push(textFile('.env', formatEnvFile(entries), '.env', 0o600, true));
  // PATH through the stable links, so .appenv is the same for every release
  // (and copied, not uploaded); the release command gets its own release's
  // dirs in front (dp_app in remote/phase.sh).
  const pathDirs = config.installationMode === 'python-package' ? [`${L.appDir}/.venv/bin`, L.appDir] : [L.appDir];
  files.push(textFile('.appenv', formatAppEnv(entries, pathDirs), '.appenv', 0o600, true));

  const renderer = createRenderer({
    templatesDir: bundledTemplatesDir(),
    overrideDir: join(config.root, '.deployer'),
    readFile: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined),
  });
  const rendered = renderAll(config, host, renderer);
  // The marker line lets later deploys (and `down`) find this app's units
  // without guessing from name prefixes (`blog` must not match `blog-admin`).
  // The owner line says whose they are (app, stage, apps_dir): `shop` stage
  // `admin` and an app `shop-admin` have the same unit names and marker.
  const marker = unitMarker(config.appName);
  const owner = ownerLine(config);
  // The web unit also records the ports the app takes on the host, where
  // every other app's deploy reads it (src/plan/ports.ts).
  const web = unitBaseName(config, 'web');
  const line = portsLineOf(config);
  const ports = line ? `${line}\n` : '';
  for (const u of rendered.units) {
    const record = u.name === `${web}.service` || u.name === `${web}@.service` ? ports : '';
    files.push(textFile(`.deployer/units/${u.name}`, `${marker}\n${owner}\n${record}${u.content}`, `unit ${u.name}`));
  }
  if (rendered.caddySite) files.push(textFile('.deployer/caddy.site', `${owner}\n${rendered.caddySite.content}`, 'Caddy site'));
  // Blue-green: the site once per slot; the plan picks the one for the slot the release starts in.
  if (rendered.slotSites)
    for (const slot of SLOTS)
      files.push(textFile(slotSitePath(slot), `${owner}\n${rendered.slotSites[slot]}`, `Caddy site for slot ${slot}`));
  // [backups] schedule: the script its unit runs, from this release (src/render/backupViews.ts);
  // backup_before_release: the script the prepare phase runs (src/plan/releaseBackup.ts).
  if (config.backups?.schedule !== undefined || config.backupBeforeRelease)
    files.push(textFile(BACKUP_SCRIPT_PATH, readRemoteScript('app-backup.sh'), 'backup script', 0o755));
  const instances = rendered.units.flatMap((u) => u.instances.map((i) => `${u.action} ${i}`));
  files.push(textFile('.deployer/instances', instances.join('\n') + '\n', 'unit list'));
  return files;
}
