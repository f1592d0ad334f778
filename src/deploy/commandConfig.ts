// Config + version for commands that deploy: the stage comes from --stage.
import type { Config } from '../config/types.js';
import { loadConfig } from '../config/load.js';
import { resolveVersion } from '../config/version.js';
import type { Context } from '../context.js';

export function loadCommandConfig(ctx: Context): Config {
  return loadConfig({ file: ctx.global.config, cwd: ctx.cwd, stage: ctx.global.stage });
}

export function loadDeployConfig(ctx: Context, versionOverride?: string): { config: Config; version: string } {
  const config = loadCommandConfig(ctx);
  return { config, version: versionOverride ?? resolveVersion(config) };
}
