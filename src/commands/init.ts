// `deployer init`: write a commented deployer.toml, asking on a terminal and
// taking flags otherwise. The work (and @inquirer/prompts) loads only when run.
import { Option, type Command } from 'commander';
import type { ContextFactory } from './types.js';
import type { InitFlags } from '../init/answers.js';

export function registerInitCommand(program: Command, ctx: ContextFactory): void {
  program
    .command('init')
    .summary('write a commented deployer.toml')
    .description(
      'Write a commented deployer.toml. On a terminal it asks for what the flags leave open; without one it never asks and fails naming the missing flags. The host address is the global -H/--host ADDRESS (repeat it for several hosts).',
    )
    .option('--app <name>', 'app name (default: [project].name of pyproject.toml, normalised to a-z, 0-9, -)')
    .addOption(
      new Option('--mode <mode>', 'what is deployed (default with a pyproject.toml: python-package)').choices(['python-package', 'binary']),
    )
    .option('--user <name>', 'SSH user on the hosts', 'deploy')
    .option('--port <port>', 'SSH port on the hosts (default 22)')
    .option('--key-file <file>', 'SSH private key (default: the SSH agent, or ~/.ssh/id_*)')
    .option(
      '--domain <domain>',
      'domain Caddy serves over HTTPS, or http://name for plain HTTP (repeatable; default http://<app>.localhost)',
      collect,
    )
    .option(
      '--web <command>',
      "command of the web process; it listens on 127.0.0.1:$PORT (deployer sets PORT for each instance), e.g. 'gunicorn shop.wsgi --bind 127.0.0.1:$PORT'",
    )
    .option('--worker <name=command>', 'another process, e.g. "worker=celery -A shop worker" (repeatable)', collect)
    .option('--distfile <path>', 'artifact to upload; {version} is replaced (default: the wheel in dist/, or dist/<app>)')
    .option('--build-command <command>', 'local build command (default for python-package: uv build)')
    .option('--force', 'overwrite an existing config file')
    .addHelpText(
      'after',
      `
Examples:
  $ deployer init
  $ deployer init --host 203.0.113.10 --domain shop.example.com --web 'gunicorn shop.wsgi --bind 127.0.0.1:$PORT'
  $ deployer init --app tool --mode binary --host 203.0.113.10 --web "tool serve" --distfile dist/tool -c deployer.toml
  $ deployer init --host 127.0.0.1 --port 2222 --key-file ~/.ssh/test_key --domain http://shop.localhost`,
    )
    .action(async (opts: Omit<InitFlags, 'hosts'>, cmd: Command) => {
      const context = ctx(cmd);
      const { runInit } = await import('../init/initFlow.js');
      // --host is the program's option (commander reads it anywhere on the line).
      const hosts = context.global.host ?? [];
      await runInit(context, { ...opts, user: cmd.getOptionValueSource('user') === 'default' ? undefined : opts.user, hosts });
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
