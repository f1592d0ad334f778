// The list of commands. Each file declares one command (its options, help and
// examples) and imports its implementation lazily inside the action, so
// `deployer --help` loads no ssh2, execa or prompts.
import type { Command } from 'commander';
import type { ContextFactory } from '../program.js';
import { registerCompletionCommand } from './completion.js';
import { registerInitCommand } from './init.js';
import { defineDeployCommands } from './deploy.js';
import { defineReleaseCommands } from './rollback.js';
import { defineConfigCommand } from './config.js';

export function registerCommands(program: Command, ctx: ContextFactory): void {
  void program;
  void ctx;
  defineDeployCommands(program, ctx);
  defineReleaseCommands(program, ctx);
  defineConfigCommand(program, ctx);
  registerCompletionCommand(program, ctx);
  registerInitCommand(program, ctx);
}
