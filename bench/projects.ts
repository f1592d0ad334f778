// The examples as benchmark projects: the example's own deployer.toml (so the
// bench follows the example as it changes), minus its placeholder [[hosts]]
// and version, with a port of its own so several apps share one test host.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject, repoRoot, type Project } from '../test/helpers/project.js';
import type { TestHost } from '../test/helpers/testhost.js';

export type Example = 'binary-app' | 'python-app';

export interface ProjectOptions {
  /** App name (default: the example's). */
  app?: string;
  /** Port the app listens on behind Caddy. */
  port: number;
  /** Replaces build_command; null removes it (the artifact is put in place by the bench). */
  buildCommand?: string | null;
  /** Top-level settings put first (e.g. `parallel = 50`), before the example's own. */
  top?: string;
}

export function exampleToml(example: Example, opts: ProjectOptions): string {
  let toml = readFileSync(join(repoRoot, 'examples', example, 'deployer.toml'), 'utf8');
  const hostsAt = toml.search(/^(#[^\n]*\n)*\[\[hosts\]\]/m);
  if (hostsAt >= 0) toml = toml.slice(0, hostsAt);
  toml = toml.replace(/^version\s*=.*\n/m, '');
  toml = mustReplace(toml, /^upstream = "127\.0\.0\.1:\d+"$/m, `upstream = "127.0.0.1:${opts.port}"`);
  if (opts.app) {
    toml = mustReplace(toml, /^app = ".*"$/m, `app = "${opts.app}"`);
    toml = mustReplace(toml, /^domains = \[.*\]$/m, `domains = ["http://${opts.app}.localhost"]`);
  }
  if (opts.buildCommand === null) toml = mustReplace(toml, /^build_command = .*\n/m, '');
  else if (opts.buildCommand !== undefined)
    toml = mustReplace(toml, /^build_command = .*$/m, `build_command = ${JSON.stringify(opts.buildCommand)}`);
  return opts.top ? `${opts.top}\n${toml}` : toml;
}

export function benchProject(example: Example, hosts: TestHost[], opts: ProjectOptions): Project {
  return createProject(example, hosts, exampleToml(example, opts));
}

// The example changed shape: stop rather than benchmark something else.
function mustReplace(text: string, re: RegExp, by: string): string {
  if (!re.test(text)) throw new Error(`bench: the example's deployer.toml has no line matching ${re}`);
  return text.replace(re, by);
}
