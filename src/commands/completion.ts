// `deployer completion [bash|zsh|fish]`: print the completion script (for
// $SHELL when no shell is named). The same as `deployer --completion generate`.
import { Argument, type Command } from 'commander';
import { ConfigError } from '../errors.js';
import type { ContextFactory } from './types.js';

export function registerCompletionCommand(program: Command, ctx: ContextFactory): void {
  program
    .command('completion')
    .summary('print the shell completion script')
    .description('Print the completion script for bash, zsh or fish (default: the shell in $SHELL).')
    .addArgument(new Argument('[shell]', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      `
Install:
  bash  $ deployer completion bash > ~/.local/share/bash-completion/completions/deployer
  zsh   $ mkdir -p ~/.zfunc && deployer completion zsh > ~/.zfunc/_deployer
        then in ~/.zshrc, before compinit: fpath+=(~/.zfunc)     (and restart zsh)
  fish  $ deployer completion fish > ~/.config/fish/completions/deployer.fish`,
    )
    .action(async (shellArg: string | undefined, _opts: unknown, cmd: Command) => {
      const context = ctx(cmd);
      const { detectShell, renderCompletionScript } = await import('../completion/shellScripts.js');
      const shell = shellArg === undefined ? detectShell(context.env.SHELL) : detectShell(shellArg);
      if (!shell) {
        throw new ConfigError(`no completion script for SHELL=${context.env.SHELL ?? '(unset)'}`, {
          hint: 'name the shell: deployer completion bash|zsh|fish',
        });
      }
      context.reporter.print(renderCompletionScript(shell));
    });
}
