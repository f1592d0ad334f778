// Answers one completion request: given the words typed after `deployer`
// (the last one is the word under the cursor, possibly empty), list what may
// come next. It walks the commander program itself, so commands and options
// added later are completed without touching this file. Values that live in
// deployer.toml (hosts, stages, processes) come from a reader passed in, so
// this file stays pure and is tested with a fake.
import type { Argument, Command, Option } from 'commander';

/** Kinds of values read from the config file; `files` asks the shell to complete paths. */
export type ValueKind = 'hosts' | 'roles' | 'stages' | 'processes' | 'versions';

export interface ValueRequest {
  kind: ValueKind;
  /** The `-c/--config` value typed so far on the line, if any. */
  config?: string;
  /** The `-s/--stage` value typed so far, so stage-specific hosts/processes can be offered. */
  stage?: string;
  /** The `-H/--host` value typed so far (versions are read from that host). */
  host?: string;
}

/** May answer later: installed versions are read from a host over SSH. */
export type ValueReader = (request: ValueRequest) => string[] | Promise<string[]>;

export interface Candidate {
  value: string;
  description?: string;
}

export interface Completion {
  candidates: Candidate[];
  /** True when the shell should complete file names instead. */
  files: boolean;
}

type Target = { type: 'values'; kind: ValueKind } | { type: 'choices'; choices: string[] } | { type: 'files' } | { type: 'none' };

// Option attribute names whose values come from deployer.toml.
const OPTION_VALUES: Record<string, ValueKind> = { host: 'hosts', role: 'roles', stage: 'stages', process: 'processes' };
// Options whose values are specific to one command.
const COMMAND_OPTION_VALUES: Record<string, ValueKind> = { 'rollback --to': 'versions' };
// Subcommands whose first argument is a process name, whatever the argument is called.
const PROCESS_COMMANDS = new Set(['app logs', 'app start', 'app stop', 'app restart', 'app status']);

interface Walk {
  cmd: Command;
  /** Positional words given to `cmd` so far. */
  operands: string[];
  /** Option values seen on the line, by attribute name (for -c and -s). */
  seen: Map<string, string>;
  /** The option still waiting for its value (the current word is that value). */
  pending?: Option;
  /** After `--`: no more options. */
  dashdash: boolean;
  /** Set after the implicit `help` command: its argument is one of these commands. */
  helpOf?: Command;
}

export async function completeWords(program: Command, words: string[], read: ValueReader): Promise<Completion> {
  const typed = words.length === 0 ? [''] : words;
  const current = typed[typed.length - 1];
  const walk = walkWords(program, typed.slice(0, -1));
  const host = walk.seen.get('host');
  const ctx = { config: walk.seen.get('config'), stage: walk.seen.get('stage'), ...(host === undefined ? {} : { host }) };

  if (walk.pending) return complete(targetOfOption(walk.cmd, walk.pending), current, '', read, ctx);
  if (!walk.dashdash && current.startsWith('--') && current.includes('=')) {
    const eq = current.indexOf('=');
    const opt = findOption(walk.cmd, current.slice(0, eq));
    if (!opt || opt.isBoolean()) return none();
    return complete(targetOfOption(walk.cmd, opt), current.slice(eq + 1), current.slice(0, eq + 1), read, ctx);
  }
  if (!walk.dashdash && current.startsWith('-') && !current.startsWith('--') && current.length > 2) {
    const attached = splitShortValue(walk.cmd, current);
    if (attached) return complete(targetOfOption(walk.cmd, attached.option), attached.value, attached.prefix, read, ctx);
  }
  if (!walk.dashdash && current.startsWith('-')) return filter(listOptions(walk.cmd), current);
  if (walk.helpOf) {
    const names = walk.helpOf
      .createHelp()
      .visibleCommands(walk.helpOf)
      .map((c) => c.name());
    return walk.operands.length === 0
      ? filter(
          names.filter((n) => n !== 'help').map((value) => ({ value })),
          current,
        )
      : none();
  }

  const subcommands = walk.cmd.createHelp().visibleCommands(walk.cmd);
  if (subcommands.length > 0 && walk.operands.length === 0) {
    return filter(
      subcommands.map((c) => ({ value: c.name(), description: c.summary() || firstLine(c.description()) })),
      current,
    );
  }
  return complete(targetOfArgument(walk.cmd, walk.operands.length), current, '', read, ctx);
}

/** Follow the words through subcommands and options, as commander would parse them. */
function walkWords(program: Command, words: string[]): Walk {
  const walk: Walk = { cmd: program, operands: [], seen: new Map(), dashdash: false };
  for (const word of words) {
    if (walk.pending) {
      walk.seen.set(walk.pending.attributeName(), word);
      walk.pending = undefined;
    } else if (walk.dashdash || word === '-' || !word.startsWith('-')) {
      const first = walk.operands.length === 0 && !walk.dashdash && !walk.helpOf;
      const sub = first ? findSubcommand(walk.cmd, word) : undefined;
      if (sub) walk.cmd = sub;
      // commander's implicit `help [command]` is not in .commands.
      else if (first && word === 'help' && walk.cmd.commands.length > 0) walk.helpOf = walk.cmd;
      else walk.operands.push(word);
    } else if (word === '--') {
      walk.dashdash = true;
    } else if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const opt = findOption(walk.cmd, eq === -1 ? word : word.slice(0, eq));
      if (opt && eq !== -1) walk.seen.set(opt.attributeName(), word.slice(eq + 1));
      else if (opt && !opt.isBoolean()) walk.pending = opt;
    } else {
      walkShortCluster(walk, word);
    }
  }
  return walk;
}

// `-vH web1` and `-Hweb1`: flags may be bundled, and the first one that takes
// a value swallows the rest of the word (or, at the end, the next word).
function walkShortCluster(walk: Walk, word: string): void {
  for (let i = 1; i < word.length; i++) {
    const opt = findOption(walk.cmd, `-${word[i]}`);
    if (!opt) return;
    if (opt.isBoolean()) continue;
    if (i + 1 < word.length) walk.seen.set(opt.attributeName(), word.slice(i + 1));
    else walk.pending = opt;
    return;
  }
}

/** `-Hweb` (or `-vHweb`): the option that takes the rest of the word as its value. */
function splitShortValue(cmd: Command, word: string): { option: Option; prefix: string; value: string } | undefined {
  for (let i = 1; i < word.length; i++) {
    const option = findOption(cmd, `-${word[i]}`);
    if (!option) return undefined;
    if (option.isBoolean()) continue;
    return i + 1 < word.length ? { option, prefix: word.slice(0, i + 1), value: word.slice(i + 1) } : undefined;
  }
  return undefined;
}

function findSubcommand(cmd: Command, word: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
}

/** The command's own options first, then those of its ancestors (commander accepts them anywhere). */
function optionChain(cmd: Command): Option[] {
  const out: Option[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) out.push(...c.options);
  return out;
}

function findOption(cmd: Command, flag: string): Option | undefined {
  return optionChain(cmd).find((o) => o.long === flag || o.short === flag);
}

function listOptions(cmd: Command): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const o of c.createHelp().visibleOptions(c)) {
      for (const flag of [o.long, o.short]) {
        if (!flag || seen.has(flag)) continue;
        seen.add(flag);
        out.push({ value: flag, description: firstLine(o.description) });
      }
    }
  }
  return out;
}

function targetOfOption(cmd: Command, opt: Option): Target {
  if (opt.argChoices) return { type: 'choices', choices: opt.argChoices };
  const kind =
    (opt.long && cmd.options.includes(opt) ? COMMAND_OPTION_VALUES[`${commandPath(cmd)} ${opt.long}`] : undefined) ??
    OPTION_VALUES[opt.attributeName()];
  if (kind) return { type: 'values', kind };
  return /<[^>]*(file|path|dir)[^>]*>|\[[^\]]*(file|path|dir)[^\]]*\]/i.test(opt.flags) ? { type: 'files' } : { type: 'none' };
}

function targetOfArgument(cmd: Command, index: number): Target {
  const args = cmd.registeredArguments;
  const last = args[args.length - 1];
  const arg: Argument | undefined = index < args.length ? args[index] : last?.variadic ? last : undefined;
  if (arg?.argChoices) return { type: 'choices', choices: arg.argChoices };
  const name = arg?.name() ?? '';
  if (/^process/i.test(name) || (index === 0 && PROCESS_COMMANDS.has(commandPath(cmd)))) return { type: 'values', kind: 'processes' };
  if (/^host/i.test(name)) return { type: 'values', kind: 'hosts' };
  if (/^stage/i.test(name)) return { type: 'values', kind: 'stages' };
  if (/file|path|dir/i.test(name)) return { type: 'files' };
  return { type: 'none' };
}

/** `app logs` for the `logs` subcommand of `app` (the program's own name left out). */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

async function complete(
  target: Target,
  current: string,
  prefix: string,
  read: ValueReader,
  ctx: Omit<ValueRequest, 'kind'>,
): Promise<Completion> {
  switch (target.type) {
    case 'files':
      return { candidates: [], files: true };
    case 'choices':
      return filter(
        target.choices.map((value) => ({ value: prefix + value })),
        prefix + current,
      );
    case 'values': {
      const values = unique(await read({ kind: target.kind, ...ctx }));
      return filter(
        values.map((value) => ({ value: prefix + value })),
        prefix + current,
      );
    }
    case 'none':
      return none();
  }
}

function filter(candidates: Candidate[], current: string): Completion {
  return { candidates: candidates.filter((c) => c.value.startsWith(current)), files: false };
}

function none(): Completion {
  return { candidates: [], files: false };
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
