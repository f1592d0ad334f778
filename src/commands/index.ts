// The list of commands. Each file declares one command (its options, help and
// examples) and imports its implementation lazily inside the action, so
// `deployer --help` loads no ssh2, execa or prompts.
import type { Command } from 'commander';
import type { ContextFactory } from './types.js';
import { registerCompletionCommand } from './completion.js';
import { registerInitCommand } from './init.js';
import { defineDeployCommands } from './deploy.js';
import { defineRollbackCommand } from './rollback.js';
import { definePruneCommand } from './prune.js';
import { defineDownCommand } from './down.js';
import { defineHistoryCommand } from './history.js';
import { defineConfigCommand } from './config.js';
import { defineAppCommands } from './app.js';
import { defineServerCommands } from './server.js';
import { definePlanCommand } from './plan.js';
import { defineReleasesCommand } from './releases.js';
import { defineStatusCommand } from './status.js';
import { defineLockCommands } from './lock.js';
import { defineTemplatesCommands } from './templates.js';

export function registerCommands(program: Command, ctx: ContextFactory): void {
  defineDeployCommands(program, ctx);
  defineRollbackCommand(program, ctx);
  definePruneCommand(program, ctx);
  defineDownCommand(program, ctx);
  defineHistoryCommand(program, ctx);
  defineReleasesCommand(program, ctx);
  defineStatusCommand(program, ctx);
  defineLockCommands(program, ctx);
  definePlanCommand(program, ctx);
  defineConfigCommand(program, ctx);
  defineAppCommands(program, ctx);
  defineServerCommands(program, ctx);
  defineTemplatesCommands(program, ctx);
  registerCompletionCommand(program, ctx);
  registerInitCommand(program, ctx);
}
