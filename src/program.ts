// The program: builds the commander program, runs one command, and is the
// only place that prints an error and calls process.exit. Command files only
// declare their options here; their work is imported lazily in the action so
// `deployer --help` and completion start fast.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, DeployerError, ExitCode } from './errors.js';
import { createContext, isCI, type Context, type GlobalOptions, type ProcessOptions } from './context.js';
import { registerCommands } from './commands/index.js';
import { encodeAnnotation, Reporter } from './output/reporter.js';
import { packageRoot } from './packageRoot.js';

// The package root's package.json, so the two never disagree.
export const VERSION = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

// The context of the running command, so a failure is printed through its
// reporter (which knows the secret values to redact).
let current: Context | undefined;
/** Its name as typed after `deployer` ("deploy", "app status"), for the JSON result. */
let currentCommand = '';
/** Under --json commander's own usage text is replaced by a JSON error event. */
let jsonOutput = false;

export function buildProgram(processOptions: ProcessOptions = {}): Command {
  const program = new Command('deployer')
    .version(VERSION, '-V, --version')
    .description('Deploy a Python wheel or a single binary to Linux hosts over SSH, behind Caddy, with systemd.')
    .option('-c, --config <file>', 'config file', 'deployer.toml')
    .option('-s, --stage <name>', 'stage to use ([stages.<name>] in the config)')
    .option('-H, --host <name>', 'only this host (repeatable)', collect, [] as string[])
    .option(
      '-r, --role <name>',
      'only the hosts with this role (repeatable; with --host, the named hosts that have it)',
      collect,
      [] as string[],
    )
    .option('--json', 'print one JSON event per line')
    .option('-v, --verbose', 'more output, timings, and stack traces on errors')
    .option('--no-color', 'no colours (NO_COLOR is respected too)')
    .option('-y, --yes', 'answer yes to confirmations (needed for destructive commands without a TTY)')
    // Answered in main() before commander parses (it must come first); declared
    // here so --help shows it.
    .addOption(
      new Option(
        '--completion <action>',
        'shell completion: `generate [bash|zsh|fish]` prints the script (like `deployer completion`); `complete` is what the script calls',
      ),
    )
    // Subcommand help lists these options too, under "Global Options" (like gh).
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    // A usage error in GitHub Actions is a failure like any other: annotate it.
    .configureOutput({
      outputError: (str, write) => {
        if (!jsonOutput)
          write((process.env.GITHUB_ACTIONS === 'true' ? `::error title=deployer::${encodeAnnotation(str.trim())}\n` : '') + str);
      },
    })
    .addHelpText(
      'after',
      `
Examples:
  $ deployer init                      write a commented deployer.toml
  $ deployer deploy                    build, upload, install and switch to the new release
  $ deployer deploy --stage production --host web1
  $ deployer plan                      show what a deploy would change, change nothing
  $ deployer rollback                  go back to the previous good release
  $ deployer app logs web -f           follow the web process's journal
  $ deployer config --stage staging    print the resolved config (secrets redacted)`,
    );
  program.exitOverride();
  program.hook('preAction', (_program, action) => {
    if (action.optsWithGlobals().completion !== undefined) {
      throw new DeployerError('--completion must come first: deployer --completion generate [bash|zsh|fish]', {
        exitCode: ExitCode.config,
      });
    }
  });
  registerCommands(program, (cmd: Command) => {
    current = createContext(cmd.optsWithGlobals() as GlobalOptions, process, processOptions);
    currentCommand = commandName(cmd);
    return current;
  });
  program
    .command('version')
    .description('print the version of deployer')
    .action(() => {
      process.stdout.write(`${VERSION}\n`);
    });
  return program;
}

function commandName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--completion generate zsh` or `--completion=generate zsh` as the first words: the words after the flag. */
export function completionArgs(args: string[]): string[] | undefined {
  const first = args[0];
  if (first === '--completion') return args.slice(1);
  if (first?.startsWith('--completion=')) return [first.slice('--completion='.length), ...args.slice(1)];
  return undefined;
}

export async function main(argv: string[], processOptions: ProcessOptions = {}): Promise<number> {
  const program = buildProgram(processOptions);
  // The shell asks on every TAB: answer before commander parses (see src/completion/answer.ts).
  const completion = completionArgs(argv.slice(2));
  if (completion)
    return (await import('./completion/answer.js')).runCompletion(completion, program, {
      cwd: process.cwd(),
      env: process.env,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  // Bare `deployer` is a request for help, not a usage error (git, gh, kamal).
  if (argv.length <= 2) {
    process.stdout.write(program.helpInformation());
    return 0;
  }
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  jsonOutput = argv.includes('--json');
  const reporter = () =>
    current?.reporter ??
    new Reporter({
      json: jsonOutput,
      tty: Boolean(process.stderr.isTTY) && !isCI(process.env),
      github: process.env.GITHUB_ACTIONS === 'true',
    });
  const finish = (code: number, r = current?.reporter) => {
    r?.finish(code, currentCommand);
    return code;
  };
  try {
    await program.parseAsync(argv);
    return finish(process.exitCode === undefined ? 0 : Number(process.exitCode));
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were printed by commander (or, with --json, here).
      if (err.exitCode === 0) return 0;
      if (!jsonOutput) return ExitCode.config;
      const r = reporter();
      r.fail(err.message.replace(/^error: /, ''), 'run with --help for usage', undefined, { exitCode: ExitCode.config, kind: 'usage' });
      return finish(ExitCode.config, r);
    }
    const r = reporter();
    if (err instanceof DeployerError) {
      r.fail(err.message, err.hint, err.details, {
        exitCode: err.exitCode,
        problems: err instanceof ConfigError ? err.problems : undefined,
      });
      if (verbose && err.stack) process.stderr.write(err.stack + '\n');
      return finish(err.exitCode, r);
    }
    const e = err as Error;
    r.fail(
      `unexpected error: ${e?.message ?? String(err)}`,
      'this is a bug in deployer; run again with --verbose and report the stack trace',
      undefined,
      { exitCode: ExitCode.unexpected },
    );
    if (verbose && e?.stack) process.stderr.write(e.stack + '\n');
    return finish(ExitCode.unexpected, r);
  }
}
