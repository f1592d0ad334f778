// deployer.toml text -> Config, without touching the file system (load.ts
// reads the file). The base config and every declared stage are checked, so
// a typo in [stages.production] fails a staging deploy too, before it can
// surprise the production one. Every problem found (up to MAX_PROBLEMS) is
// reported in one ConfigError, in file order.
import { parse, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.js';
import type { Config } from './types.js';
import { Issues, Problems } from './issues.js';
import { indexPositions } from './locate.js';
import { applyOverlay, checkStageSelected, readStages } from './overlay.js';
import type { RawTable } from './reader.js';
import { validateConfig } from './validate.js';
import type { HostsCommandRunner } from './hostsCommand.js';

export interface ParseOptions {
  /** Absolute path of the config file (Config.file). */
  file: string;
  /** Directory of the config file (Config.root). */
  root: string;
  /** How messages name the file, e.g. "deployer.toml". */
  displayName: string;
  /** Home directory for `~` in key_file / known_hosts. */
  home: string;
  stage?: string;
  /** Runs hosts_command for the selected config; without it such a config has no hosts (src/config/hostsCommand.ts). */
  runHostsCommand?: HostsCommandRunner;
}

export function parseConfig(source: string, opts: ParseOptions): Config {
  const raw = parseToml(source, opts.displayName);
  const index = indexPositions(source);
  const problems = new Problems();
  const base = new Issues(opts.displayName, index, undefined, problems);
  const stages = base.attempt(() => readStages(raw, base)) ?? new Map<string, RawTable>();
  if (opts.stage !== undefined) base.attempt(() => checkStageSelected(opts.stage as string, stages, base));
  const names = [...stages.keys()];
  // The selected config first, so its result is the one returned.
  const order = [opts.stage, ...names.filter((n) => n !== opts.stage)].filter((s) => s === undefined || stages.has(s));
  let selected: Config | undefined;
  for (const stage of order) {
    const overlaid = applyOverlay(raw, stage, stage === undefined ? undefined : stages.get(stage));
    const issues = new Issues(opts.displayName, index, overlaid.origin, problems);
    try {
      const config = validateConfig(overlaid.raw, issues, {
        file: opts.file,
        root: opts.root,
        home: opts.home,
        stage,
        stages: names,
        runHostsCommand: stage === opts.stage ? opts.runHostsCommand : undefined,
      });
      if (stage === opts.stage) selected = config;
    } catch (err) {
      // Once a problem is recorded, a later crash is its consequence (a value it left unset): report the problems.
      if (err instanceof ConfigError || problems.count === 0) throw err;
    }
  }
  problems.throwIfAny();
  return selected as Config;
}

/** Parses TOML, turning smol-toml's error into the same one-paragraph form. */
export function parseToml(source: string, displayName: string): RawTable {
  try {
    // Integers as bigint so `port = 22.0` (a float) is told apart from 22.
    return parse(source, { integersAsBigInt: true, unsafeKeyBehaviour: 'throw' }) as RawTable;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const what = err.message
      .split('\n')[0]
      .replace(/^Invalid TOML document:\s*/, '')
      .replace(/\.$/, '');
    throw new ConfigError(`${displayName}:${err.line}:${err.column}: invalid TOML: ${what}. Fix: ${fixForSyntax(what)}.`, { cause: err });
  }
}

function fixForSyntax(what: string): string {
  if (/invalid value|end-of-line/.test(what))
    return 'quote strings (name = "value"); booleans are true/false and numbers are bare digits, one key = value per line';
  if (/redefine/.test(what)) return 'each key and each [table] may appear only once; remove the duplicate or merge the two';
  if (/unfinished string|control characters are not allowed in strings/.test(what))
    return 'close the string with its quote on the same line, or use """…""" for text over several lines';
  if (/table array|unfinished table/.test(what)) return 'close the header with ] (or ]] for an array of tables like [[hosts]])';
  if (/unfinished array|comma or end/.test(what))
    return 'separate items with commas and close the array with ] (or the inline table with })';
  if (/unsafe property/.test(what)) return 'rename the key; __proto__ and constructor are not allowed';
  return 'correct the TOML syntax at that position (see https://toml.io)';
}
