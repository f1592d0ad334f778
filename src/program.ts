// The program: builds the commander program, runs one command, and is the
// only place that prints an error and calls process.exit. Command files only
// declare their options here; their work is imported lazily in the action so
// `deployer --help` and completion start fast.
import { Command, CommanderError } from 'commander';
import { DeployerError, ExitCode } from './errors.js';
import { createContext, isCI, type Context, type GlobalOptions } from './context.js';
import { registerCommands } from './commands/index.js';
import { encodeAnnotation, Reporter } from './output/reporter.js';

const VERSION = '0.1.0';

// The context of the running command, so a failure is printed through its
// reporter (which knows the secret values to redact).
let current: Context | undefined;

export function buildProgram(): Command {
  const program = new Command('deployer')
    .version(VERSION, '-V, --version')
    .description('Deploy a Python wheel or a single binary to Linux hosts over SSH, behind Caddy, with systemd.')
    .option('-c, --config <file>', 'config file', 'deployer.toml')
    .option('-s, --stage <name>', 'stage to use ([stages.<name>] in the config)')
    .option('-H, --host <name>', 'only this host (repeatable)', collect, [] as string[])
    .option('--json', 'print one JSON event per line')
    .option('-v, --verbose', 'more output, timings, and stack traces on errors')
    .option('--no-color', 'no colours (NO_COLOR is respected too)')
    .option('-y, --yes', 'answer yes to confirmations (needed for destructive commands without a TTY)')
    .showHelpAfterError('(run with --help for usage)')
    // A usage error in GitHub Actions is a failure like any other: annotate it.
    .configureOutput({ outputError: (str, write) => write((process.env.GITHUB_ACTIONS === 'true' ? `::error title=deployer::${encodeAnnotation(str.trim())}\n` : '') + str) })
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
  registerCommands(program, (cmd: Command) => {
    current = createContext(cmd.optsWithGlobals() as GlobalOptions);
    return current;
  });
  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}


export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // The shell asks on every TAB: answer before commander parses (see src/completion/run.ts).
  if (argv[2] === '--completion') return (await import('./completion/run.js')).runCompletion(argv.slice(3), program, { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr });
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were printed by commander.
      return err.exitCode === 0 ? 0 : ExitCode.config;
    }
    const reporter = current?.reporter ?? new Reporter({ json: argv.includes('--json'), tty: Boolean(process.stderr.isTTY) && !isCI(process.env), github: process.env.GITHUB_ACTIONS === 'true' });
    if (err instanceof DeployerError) {
      reporter.fail(err.message, err.hint, err.details);
      if (verbose && err.stack) process.stderr.write(err.stack + '\n');
      return err.exitCode;
    }
    const e = err as Error;
    reporter.fail(`unexpected error: ${e?.message ?? String(err)}`, 'this is a bug in deployer; run again with --verbose and report the stack trace');
    if (verbose && e?.stack) process.stderr.write(e.stack + '\n');
    return ExitCode.unexpected;
  }
}

