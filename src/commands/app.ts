// `deployer app …`: look at and operate the deployed app on its hosts:
// status, logs, start/stop/restart, exec, shell, cat, backup, restore. Each action imports its
// implementation lazily (ssh2 is not loaded for --help or completion).
import { Argument, Command, InvalidArgumentError } from 'commander';
import type { ContextFactory } from './types.js';
import type { Context } from '../context.js';
import { parseSeconds } from './deploy.js';

function parseLines(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of lines, e.g. 200');
  return n;
}

export function defineAppCommands(program: Command, ctx: ContextFactory): void {
  const app = program
    .command('app')
    .description('operate the deployed app: status, logs, start/stop/restart, exec, shell, cat, backup, restore, maintenance')
    .addHelpText(
      'after',
      `
Examples:
  $ deployer app status
  $ deployer app logs web -f
  $ deployer app restart worker
  $ deployer app exec "python manage.py migrate"
  $ deployer app shell --host web1
  $ deployer app cat env
  $ deployer app backup --host web1
  $ deployer app restore shop-web1-20260105T031500Z.tar.gz --host web1
  $ deployer app maintenance on --message "Back at 14:00 UTC"`,
    );

  app
    .command('status')
    .description("per host: the current release, each unit's state and uptime, and the URL")
    .argument('[process]', "only this process's units")
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer app status\n  $ deployer app status web --stage production\n  $ deployer app status --json',
    )
    .action(async (processName: string | undefined, _opts: unknown, cmd: Command) => {
      const { runStatus } = await import('../app/status.js');
      await runStatus(ctx(cmd), { process: processName });
    });

  app
    .command('logs')
    .description("show the journal of the app's units (all processes, or one)")
    .argument('[process]', 'only this process (a name from [processes])')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --lines <n>', 'how many lines back to start (default 100, or all since --since)', parseLines)
    .option('--since <when>', 'start at this time: "1h ago", "today", "2024-05-01 10:00" (journalctl syntax)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer app logs\n  $ deployer app logs web -f\n  $ deployer app logs worker -n 500\n  $ deployer app logs --since "10 min ago" --host web2',
    )
    .action(async (processName: string | undefined, opts: { follow?: boolean; lines?: number; since?: string }, cmd: Command) => {
      const { runLogs } = await import('../app/logs.js');
      const c = ctx(cmd);
      await runLogs(c, await appIO(c), { process: processName, follow: Boolean(opts.follow), lines: opts.lines, since: opts.since });
    });

  for (const action of ['start', 'stop', 'restart'] as const) {
    app
      .command(action)
      .description(`${action} the app's services (all processes, or one); takes the deploy lock, so it never lands inside a deploy`)
      .argument('[process]', 'only this process')
      .option('--lock-wait <seconds>', 'wait this long for a running deploy instead of failing', parseSeconds, 0)
      .addHelpText('after', `\nExamples:\n  $ deployer app ${action}\n  $ deployer app ${action} web --host web1`)
      .action(async (processName: string | undefined, opts: { lockWait: number }, cmd: Command) => {
        const { runControl } = await import('../app/control.js');
        await runControl(ctx(cmd), action, { process: processName, lockWait: opts.lockWait });
      });
  }

  app
    .command('exec')
    .description("run a command in the app's environment (its .env, PATH, PORT and current release), as the app user; exits with its code")
    .argument('<command...>', 'one string, run by bash ("manage.py shell"), or the command and its arguments after --, kept word for word')
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer app exec "python manage.py shell"\n  $ deployer app exec -- python manage.py migrate\n  $ deployer app exec --host web1 -- env\n  $ deployer app exec -- psql < dump.sql        (stdin is passed on, with one host)',
    )
    .action(async (argv: string[], _opts: unknown, cmd: Command) => {
      const { runExec } = await import('../app/appExec.js');
      const c = ctx(cmd);
      const code = await runExec(c, await appIO(c), argv);
      // The remote command's exit code becomes ours (program.ts returns it).
      if (code !== 0) process.exitCode = code;
    });

  app
    .command('shell')
    .description("open an interactive shell in the app's environment, as the app user (needs a terminal; one host)")
    .addHelpText('after', '\nExamples:\n  $ deployer app shell\n  $ deployer app shell --host web2 --stage staging')
    .action(async (_opts: unknown, cmd: Command) => {
      const [{ runShell }, { processIO }] = await Promise.all([import('../app/shell.js'), import('../app/io.js')]);
      const code = await runShell(ctx(cmd), processIO());
      if (code !== 0) process.exitCode = code;
    });

  app
    .command('cat')
    .description('print what is installed: the .env (values redacted), the systemd units, or the Caddy site')
    .addArgument(new Argument('<what>', 'env, units or caddy').choices(['env', 'units', 'caddy']))
    .option('--show-secrets', 'print the .env values too')
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer app cat units\n  $ deployer app cat caddy --host web1\n  $ deployer app cat env --show-secrets > backup.env',
    )
    .action(async (what: 'env' | 'units' | 'caddy', opts: { showSecrets?: boolean }, cmd: Command) => {
      const { runCat } = await import('../app/cat.js');
      const c = ctx(cmd);
      await runCat(c, await appIO(c), what, { showSecrets: Boolean(opts.showSecrets) });
    });

  app
    .command('backup')
    .description("stream a consistent snapshot of the app's DEPLOYER_DATA_DIR on one host to this machine (tar + gzip, SQLite copied live)")
    .option(
      '-o, --output <file>',
      'write the archive here (a directory: the default name inside it); default: <app>[-<stage>]-<host>-<time>.tar.gz',
    )
    .addHelpText(
      'after',
      '\nEach host has its own data: with several hosts, name one with --host.\n\nExamples:\n  $ deployer app backup\n  $ deployer app backup --host web1 -o backups/\n  $ deployer app backup --stage staging -o staging.tar.gz',
    )
    .action(async (opts: { output?: string }, cmd: Command) => {
      const { runBackup } = await import('../app/backup.js');
      await runBackup(ctx(cmd), { output: opts.output });
    });

  app
    .command('restore')
    .description(
      'put a backup (from app backup, or the scheduled one) back as the data dir of one host: checks it, asks, stops the app, swaps the data, starts the app',
    )
    .argument('<file>', 'the backup archive (.tar.gz)')
    .addHelpText(
      'after',
      '\nThe archive is checked first (a backup of this app and stage, every checksum): a bad file changes nothing.\nWithout a terminal, pass --yes.\n\nExamples:\n  $ deployer app restore shop-web1-20260105T031500Z.tar.gz\n  $ deployer app restore backup.tar.gz --host web1 --yes',
    )
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const { runRestore } = await import('../app/restore.js');
      await runRestore(ctx(cmd), file);
    });

  app
    .command('maintenance')
    .description(
      'on: Caddy answers every request with 503, Retry-After and a page (the health check still reaches the app); off: the app answers again',
    )
    .addArgument(new Argument('<mode>', 'on or off').choices(['on', 'off']))
    .option('--message <text>', 'the message of the default page (templates: maintenance.html.hbs)')
    .option('--page <file>', 'serve this HTML file instead of the default page (at most 64 KiB)')
    .option('--lock-wait <seconds>', 'wait this long for a running deploy instead of failing', parseSeconds, 0)
    .addHelpText(
      'after',
      '\nNo reload: the Caddy site serves <app dir>/.maintenance while it exists, and a deploy keeps the mode as it found it.\n\nExamples:\n  $ deployer app maintenance on --message "Back at 14:00 UTC"\n  $ deployer app maintenance on --page maintenance.html\n  $ deployer app maintenance off',
    )
    .action(async (mode: 'on' | 'off', opts: { message?: string; page?: string; lockWait: number }, cmd: Command) => {
      const { runMaintenance } = await import('../app/maintenance.js');
      await runMaintenance(ctx(cmd), mode, opts);
    });
}

/** The terminal, or JSON output events under --json. */
async function appIO(c: Context) {
  const { processIO, jsonIO } = await import('../app/io.js');
  const io = processIO();
  return c.reporter.json ? jsonIO(io, (stream, text) => c.reporter.emit({ type: 'output', stream, text })) : io;
}
