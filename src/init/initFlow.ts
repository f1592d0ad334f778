// `deployer init`: gather the answers (flags first, then prompts when there is
// a terminal to ask on), render the config and write it. Without a terminal it
// never prompts: every missing answer is named in one error (exit 2).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Context } from '../context.js';
import type { InstallationMode } from '../config/types.js';
import { ConfigError, UserAbort } from '../errors.js';
import {
  checkAddress,
  checkAppName,
  checkCommand,
  checkDomain,
  checkFlag,
  checkKeyFile,
  checkMode,
  checkPort,
  checkUser,
  defaultBuildCommand,
  defaultDistfile,
  MODES,
  normaliseAppName,
  parseWorker,
  readProjectName,
  suggestWebCommand,
  type InitAnswers,
  type InitFlags,
  type ProcessAnswer,
} from './answers.js';
import { renderInitConfig } from './render.js';
import { createPrompter, type Prompter } from './prompter.js';

export interface InitDeps {
  /** Swapped in tests; by default @inquirer/prompts, imported only when needed. */
  prompter?: Prompter;
}

export async function runInit(ctx: Context, flags: InitFlags, deps: InitDeps = {}): Promise<string> {
  const file = resolve(ctx.cwd, ctx.global.config || 'deployer.toml');
  const shown = relative(ctx.cwd, file) || file;
  if (existsSync(file) && !flags.force) {
    throw new ConfigError(`${shown} already exists`, { hint: 'pass --force to overwrite it, or -c other.toml to write another file' });
  }
  const projectName = readProjectName(readIfExists(join(dirname(file), 'pyproject.toml')));
  const answers = ctx.interactive
    ? await askAnswers(flags, projectName, deps.prompter ?? createPrompter())
    : takeAnswers(flags, projectName);
  writeFileSync(file, renderInitConfig(answers), { mode: 0o644 });
  ctx.reporter.info(`wrote ${shown}`);
  ctx.reporter.info(
    `next: check it with \`deployer config${shown === 'deployer.toml' ? '' : ` -c ${shown}`}\`, then run \`deployer deploy\``,
  );
  return file;
}

/** No terminal: the flags and the guessable defaults, or one error naming every missing flag. */
export function takeAnswers(flags: InitFlags, projectName: string | undefined): InitAnswers {
  const missing: string[] = [];
  const app = flags.app ?? (projectName ? normaliseAppName(projectName) : undefined);
  if (app === undefined) missing.push('--app');
  // Without a pyproject.toml, guessing "python-package" would be a guess.
  const mode = (flags.mode ?? (projectName ? 'python-package' : undefined)) as InstallationMode | undefined;
  if (mode === undefined) missing.push('--mode');
  const hosts = flags.hosts ?? [];
  if (hosts.length === 0) missing.push('--host');
  const workers = (flags.worker ?? []).map(parseWorker);
  if (flags.web === undefined && workers.length === 0) missing.push('--web');
  if (missing.length) {
    throw new ConfigError(`deployer init needs ${missing.join(', ')} (no terminal to ask on)`, {
      hint: "pass every answer as a flag, e.g. deployer init --app shop --mode python-package --host 203.0.113.10 --web 'gunicorn shop.wsgi --bind 127.0.0.1:$PORT'",
    });
  }
  return checkAnswers(flags, { app: app!, mode: mode!, hosts, workers, projectName });
}

function checkAnswers(
  flags: InitFlags,
  a: { app: string; mode: InstallationMode; hosts: string[]; workers: ProcessAnswer[]; projectName?: string },
): InitAnswers {
  return {
    app: checkFlag('--app', a.app, checkAppName),
    mode: checkFlag('--mode', a.mode, checkMode) as InstallationMode,
    hosts: a.hosts.map((h) => checkFlag('--host', h, checkAddress)),
    user: checkFlag('--user', flags.user ?? 'deploy', checkUser),
    port:
      flags.port === undefined || flags.port === '' || flags.port === '22' ? undefined : Number(checkFlag('--port', flags.port, checkPort)),
    keyFile:
      flags.keyFile === undefined || flags.keyFile.trim() === '' ? undefined : checkFlag('--key-file', flags.keyFile.trim(), checkKeyFile),
    domains: (flags.domain ?? []).map((d) => checkFlag('--domain', d, checkDomain)),
    web: flags.web === undefined ? undefined : checkFlag('--web', flags.web, checkCommand),
    workers: a.workers,
    distfile: checkFlag('--distfile', flags.distfile ?? defaultDistfile(a.mode, a.app, a.projectName), checkCommand),
    buildCommand: flags.buildCommand ?? defaultBuildCommand(a.mode),
  };
}

/** A terminal: ask what the flags left open, with the guessed defaults filled in. */
async function askAnswers(flags: InitFlags, projectName: string | undefined, p: Prompter): Promise<InitAnswers> {
  try {
    const app =
      flags.app ??
      (await p.input({ message: 'App name', default: projectName ? normaliseAppName(projectName) : undefined, validate: checkAppName }));
    const mode = (flags.mode ??
      (await p.select({
        message: 'What do you deploy?',
        choices: MODES.map((m) => ({ value: m, name: m === 'python-package' ? 'a Python package (wheel)' : 'a single binary' })),
        default: projectName ? 'python-package' : undefined,
      }))) as InstallationMode;
    const hosts = flags.hosts?.length ? flags.hosts : [await p.input({ message: 'Host address (IP or DNS name)', validate: checkAddress })];
    const user = flags.user ?? (await p.input({ message: 'SSH user on the host', default: 'deploy', validate: checkUser }));
    const port = flags.port ?? (await p.input({ message: 'SSH port', default: '22', validate: checkPort }));
    const keyFile =
      flags.keyFile ??
      (await p.input({ message: 'SSH private key file (blank: the SSH agent or ~/.ssh/id_*)', validate: optional(checkKeyFile) }));
    const domains =
      flags.domain ??
      [
        await p.input({
          message: 'Domain for HTTPS, or http://name for plain HTTP (blank: http://<app>.localhost)',
          validate: optional(checkDomain),
        }),
      ].filter(Boolean);
    const web =
      flags.web ??
      orNone(
        await p.input({
          message: 'Web process command ("none" for no web process)',
          default: suggestWebCommand(mode, app, projectName),
          validate: checkCommand,
        }),
      );
    const workers = (flags.worker ?? []).map(parseWorker);
    if (flags.worker === undefined) {
      for (;;) {
        const spec = await p.input({ message: 'Another process as name=command (blank when done)', validate: optional(checkWorker) });
        if (!spec.trim()) break;
        workers.push(parseWorker(spec));
      }
    }
    if (web === undefined && workers.length === 0) {
      throw new ConfigError('deployer init needs at least one process', { hint: 'give a web command, or a worker as name=command' });
    }
    const distfile =
      flags.distfile ??
      (await p.input({
        message: 'Artifact to upload ({version} is replaced)',
        default: defaultDistfile(mode, app, projectName),
        validate: checkCommand,
      }));
    const buildCommand =
      flags.buildCommand ??
      orNone(
        await p.input({
          message: 'Build command ("none" if you build yourself)',
          default: defaultBuildCommand(mode),
          validate: checkCommand,
        }),
      );
    return checkAnswers(
      { ...flags, user, port, keyFile, domain: domains, web, distfile, buildCommand },
      { app, mode, hosts, workers, projectName },
    );
  } catch (err) {
    // @inquirer/prompts rejects with ExitPromptError on Ctrl-C.
    if ((err as Error)?.name === 'ExitPromptError') throw new UserAbort('init cancelled, nothing written');
    throw err;
  }
}

// A prompt with a default cannot be answered with blank (blank takes the default).
function orNone(answer: string): string | undefined {
  const a = answer.trim();
  return a === '' || a.toLowerCase() === 'none' ? undefined : a;
}

function optional(check: (v: string) => string | undefined): (v: string) => string | undefined {
  return (v) => (v.trim() === '' ? undefined : check(v.trim()));
}

function checkWorker(v: string): string | undefined {
  try {
    parseWorker(v);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
