// Shared by the render*.test.ts files: hand-built configs (the loader is
// tested on its own), a renderer reading the real templates, and file
// snapshots (node 20's test runner has none; UPDATE_SNAPSHOTS=1 rewrites them).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config, HostConfig, ProcessConfig } from '../../src/config/types.js';
import { createRenderer, type Renderer } from '../../src/render/index.js';
import { planDeploy, sha256, type HostDeployPlan, type ReleaseFile } from '../../src/plan/planDeploy.js';
import type { RemoteState } from '../../src/remote/state.js';
import { freshState } from '../helpers/remoteState.js';
import { matchFile } from '../helpers/golden.js';

/** The repository root (this file runs from dist/test/unit/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const templatesDir = join(repoRoot, 'templates');
const snapshotDir = join(repoRoot, 'test', 'fixtures', 'snapshots');

export function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export function makeRenderer(overrideDir?: string): Renderer {
  return createRenderer({ templatesDir, overrideDir, readFile: readIfExists });
}

export function makeProcess(name: string, command: string, extra: Partial<ProcessConfig> = {}): ProcessConfig {
  return { name, command, replicas: 1, socket: false, ...extra };
}

export function makeHost(extra: Partial<HostConfig> = {}): HostConfig {
  return { name: 'vps1', address: '203.0.113.10', user: 'deploy', port: 22, hostKeyPolicy: 'strict', domains: [], ...extra };
}

export function makeConfig(extra: Partial<Config> = {}): Config {
  return {
    file: '/home/me/hello/deployer.toml',
    root: '/home/me/hello',
    stage: 'production',
    app: 'hello',
    appName: 'hello-production',
    version: '1.0.0',
    buildTimeout: 600,
    distfile: 'dist/hello_app-{version}-py3-none-any.whl',
    installationMode: 'python-package',
    versionsToKeep: 5,
    appsDir: '/srv/deployer',
    rollback: 'all',
    parallel: 4,
    // The unit shapes of a restart deploy; render-slots.test.ts renders blue-green.
    strategy: 'restart',
    drainSeconds: 10,
    backupBeforeRelease: false,
    hosts: [makeHost()],
    processes: [makeProcess('web', 'hello-app')],
    webserver: { enabled: true, domains: [], upstream: '127.0.0.1:8000', port: 8000, statics: {} },
    healthCheck: { path: '/healthz', status: 200, timeout: 30 },
    secrets: { adapter: 'system', options: {} },
    hooks: {},
    stages: ['production'],
    ...extra,
  };
}

/** Compares with test/fixtures/snapshots/<name>; UPDATE_SNAPSHOTS=1 writes it instead. */
export const matchSnapshot = (name: string, actual: string): void => matchFile(join(snapshotDir, name), actual, 'UPDATE_SNAPSHOTS');

export { freshState } from '../helpers/remoteState.js';

/** A release file planDeploy writes from memory (a unit, a site, the .env). */
export const textFile = (path: string, content: string, label = path, mode = 0o644): ReleaseFile => ({
  path,
  content,
  sha256: sha256(content),
  size: content.length,
  mode,
  label,
});

const envFile = textFile('.env', 'A=1\n', '.env', 0o600);

/** The blue-green app `shop` on shop.example.com. */
export const shopBlueGreenConfig = (drainSeconds: number): Config =>
  makeConfig({
    app: 'shop',
    appName: 'shop',
    strategy: 'blue-green',
    drainSeconds,
    webserver: { enabled: true, domains: ['shop.example.com'], upstream: '127.0.0.1:8000', port: 8000, statics: {} },
  });

/** The site of the blue-green app `shop` on `ports`. */
export const shopSite = (ports: string): string => `shop.example.com {\n\treverse_proxy ${ports}\n}\n`;

/** The release files of the blue-green app `shop`: its artifact, .env, a web template, a worker, the site and one per slot. */
export function blueGreenFiles(artifact: ReleaseFile, units: { web: string; worker: string }, env = 'A=1\n'): ReleaseFile[] {
  return [
    artifact,
    textFile('.env', env),
    textFile('.deployer/units/shop-web@.service', units.web, 'unit shop-web@.service'),
    textFile('.deployer/units/shop-worker.service', units.worker, 'unit shop-worker.service'),
    textFile('.deployer/caddy.site', shopSite('127.0.0.1:8000'), 'Caddy site'),
    textFile('.deployer/caddy-a.site', shopSite('127.0.0.1:8000'), 'Caddy site for slot a'),
    textFile('.deployer/caddy-b.site', shopSite('127.0.0.1:8001'), 'Caddy site for slot b'),
    textFile('.deployer/instances', 'restart shop-worker.service\n'),
  ];
}

/** planDeploy of release 1.0.0 of a binary app whose only file is a .env (a fresh host unless `state` says otherwise). */
export function planBinaryRelease(config: Partial<Config>, state: RemoteState = freshState()): HostDeployPlan {
  return planDeploy({
    config: makeConfig({ installationMode: 'binary', ...config }),
    host: makeHost(),
    version: '1.0.0',
    artifact: 'app',
    files: [envFile],
    state,
    time: 't',
    by: 'me',
    action: 'deploy',
  });
}
