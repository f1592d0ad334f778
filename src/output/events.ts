// The core emits these; renderers (tty, plain, json, github) decide the look.
// Every event is plain data so `--json` can print it as one line. The JSON
// form is a contract for machines, documented in docs/json.md: change it
// only compatibly, or raise JSON_SCHEMA_VERSION.

/** The `schema` field of every --json line. */
export const JSON_SCHEMA_VERSION = 1;

/** Machine-readable error kinds, one per exit code (docs/ci.md), `usage` for a bad command line. */
export type ErrorKind = 'unexpected' | 'usage' | 'config' | 'ssh' | 'remote' | 'local' | 'locked' | 'unhealthy' | 'state' | 'aborted';

const KINDS: Record<number, ErrorKind> = {
  1: 'unexpected',
  2: 'config',
  3: 'ssh',
  4: 'remote',
  5: 'local',
  6: 'locked',
  7: 'unhealthy',
  8: 'state',
  130: 'aborted',
};

export function errorKind(exitCode: number): ErrorKind {
  return KINDS[exitCode] ?? 'unexpected';
}

/**
 * A host's end state: the new release serves; it already did; it was healthy
 * but went back because another host failed; it failed. A deploy that
 * stopped before its verdict: `stopped` (the release was prepared there, not
 * switched), `untouched` (nothing was sent), `interrupted` (Ctrl-C came while
 * it was at work: the message says where it is left).
 */
export type HostResult = 'live' | 'unchanged' | 'rolled-back' | 'failed' | 'stopped' | 'untouched' | 'interrupted';

export type Level = 'info' | 'warn' | 'error' | 'debug';

export type DeployerEvent =
  /** `hosts`: the same message for several hosts, said once (a DNS warning for a fleet on one address). */
  | { type: 'log'; level: Level; message: string; host?: string; hosts?: string[] }
  | {
      type: 'phase';
      phase: string;
      status: 'start' | 'done' | 'skipped' | 'failed';
      host?: string;
      ms?: number;
      detail?: string;
      label?: string;
    }
  | { type: 'step'; host?: string; step: string; status: 'done' | 'skipped'; detail?: string }
  | { type: 'output'; host?: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'upload'; host?: string; file: string; bytes: number; total: number }
  | {
      /** One wave of a [rollout] (none: all hosts are one wave): `start`, then `done` or `failed`; `untouched`: the hosts the stop left alone. */
      type: 'wave';
      wave: number;
      of: number;
      kind: 'canary' | 'batch' | 'all';
      status: 'start' | 'done' | 'failed';
      hosts: string[];
      failed?: string[];
      untouched?: string[];
    }
  /** One host's outcome, once per host at the end of a deploy: what the final table and the annotations show. */
  | {
      type: 'host';
      host: string;
      result: HostResult;
      /** What the host serves now (none: nothing was live before and the new release failed). */
      version?: string;
      /** Only with `failed`: the host went back to `version`. */
      rolledBack?: boolean;
      ms?: number;
      wave?: number;
      message?: string;
    }
  | { type: 'result'; command: string; ok: boolean; data?: unknown; exitCode?: number }
  | { type: 'error'; kind: ErrorKind; exitCode: number; message: string; hint?: string; details?: string };

export type EventOf<T extends DeployerEvent['type']> = Extract<DeployerEvent, { type: T }>;
