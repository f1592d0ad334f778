// Stages: [stages.<name>] tables overlay the base config. Tables deep-merge,
// everything else (strings, numbers, and arrays such as hosts or domains)
// replaces. The merge remembers where each overlaid value came from, so an
// error in it points at stages.<name>.… rather than at the base.
import { describeValue, type Issues, type OriginMap } from './issues.js';
import { pathKey, type PathSegment, type TomlPath } from './path.js';
import { isTable, type RawTable } from './reader.js';
import { APP_NAME, LIMITS, NOT_IN_STAGE } from './schema.js';
import { suggest } from './suggest.js';

/** The declared stages, checked for shape (their contents are checked when merged). */
export function readStages(raw: RawTable, issues: Issues): Map<string, RawTable> {
  const stages = new Map<string, RawTable>();
  const value = raw.stages;
  if (value === undefined) return stages;
  if (!isTable(value)) {
    issues.fail(
      ['stages'],
      'value',
      `stages must be a table of stages, got ${describeValue(value)}. Fix: write a [stages.production] header followed by the keys that differ in that stage.`,
    );
  }
  for (const [name, overlay] of Object.entries(value)) issues.attempt(() => readStage(issues, stages, name, overlay));
  return stages;
}

function readStage(issues: Issues, stages: Map<string, RawTable>, name: string, overlay: unknown): void {
  const path = ['stages', name];
  if (!APP_NAME.test(name) || name.length > LIMITS.stageName) {
    issues.fail(
      path,
      'key',
      `stage name ${JSON.stringify(name)} (${issues.name(path)}) must be lowercase letters, digits and "-", starting with a letter or digit, at most ${LIMITS.stageName} characters, because it becomes part of unit and directory names. Fix: rename it, e.g. [stages.${suggestName(name)}].`,
    );
  }
  if (!isTable(overlay)) {
    issues.fail(
      path,
      'value',
      `${issues.name(path)} must be a table of overrides, got ${describeValue(overlay)}. Fix: write a [${issues.name(path)}] header with the keys that differ in this stage below it.`,
    );
  }
  for (const key of NOT_IN_STAGE) {
    if (overlay[key] === undefined) continue;
    const why = key === 'app' ? `every stage deploys the same app, named "<app>-${name}" on the hosts` : 'stages do not nest';
    issues.fail(
      [...path, key],
      'key',
      `${issues.name([...path, key])} cannot be set in a stage: ${why}. Fix: remove ${key} from [${issues.name(path)}].`,
    );
  }
  stages.set(name, overlay);
}

/** Refuses a --stage the file does not declare, listing those it does. */
export function checkStageSelected(stage: string, stages: Map<string, RawTable>, issues: Issues): void {
  if (stages.has(stage)) return;
  const known = [...stages.keys()];
  if (known.length === 0) {
    issues.fail(
      ['stages'],
      'key',
      `unknown stage ${JSON.stringify(stage)}: this file declares no stages. Fix: add a [stages.${suggestName(stage)}] table with the keys that differ in that stage, or run without --stage.`,
    );
  }
  const guess = suggest(stage, known);
  const mean = guess ? ` Did you mean ${JSON.stringify(guess)}?` : '';
  issues.fail(
    ['stages'],
    'key',
    `unknown stage ${JSON.stringify(stage)}. Known stages: ${known.join(', ')}.${mean} Fix: pass one of them with --stage, or add a [stages.${suggestName(stage)}] table.`,
  );
}

export interface Overlaid {
  raw: RawTable;
  /** Maps a path in `raw` to where it is written in the file. */
  origin: OriginMap;
}

export function applyOverlay(base: RawTable, stage: string | undefined, overlay: RawTable | undefined): Overlaid {
  const raw: RawTable = { ...base };
  delete raw.stages;
  const origins = new Map<string, TomlPath>();
  if (stage !== undefined && overlay) {
    // The hosts come from [[hosts]] or hosts_command: a stage that sets one replaces the base's other.
    if (overlay.hosts !== undefined) delete raw.hosts_command;
    if (overlay.hosts_command !== undefined) delete raw.hosts;
    mergeInto(raw, overlay, [], ['stages', stage], origins);
  }
  return { raw, origin: (path) => originOf(path, origins) };
}

function mergeInto(target: RawTable, overlay: RawTable, at: PathSegment[], from: PathSegment[], origins: Map<string, TomlPath>): void {
  for (const [key, value] of Object.entries(overlay)) {
    const current = target[key];
    if (isTable(current) && isTable(value)) {
      const copy: RawTable = { ...current }; // never mutate the base: every stage merges onto it
      target[key] = copy;
      mergeInto(copy, value, [...at, key], [...from, key], origins);
    } else {
      target[key] = value;
      origins.set(pathKey([...at, key]), [...from, key]);
    }
  }
}

/** The longest overlaid prefix of `path` decides where it is written. */
function originOf(path: TomlPath, origins: Map<string, TomlPath>): TomlPath {
  for (let n = path.length; n > 0; n--) {
    const from = origins.get(pathKey(path.slice(0, n)));
    if (from) return [...from, ...path.slice(n)];
  }
  return path;
}

function suggestName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, LIMITS.stageName)
    .replace(/^-+|-+$/g, '');
  return cleaned || 'production';
}
