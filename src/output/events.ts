// The core emits these; renderers (tty, plain, json, github) decide the look.
// Every event is plain data so `--json` can print it as one line.

export type Level = 'info' | 'warn' | 'error' | 'debug';

export type DeployerEvent =
  | { type: 'log'; level: Level; message: string; host?: string }
  | { type: 'phase'; phase: string; status: 'start' | 'done' | 'skipped' | 'failed'; host?: string; ms?: number; detail?: string; label?: string }
  | { type: 'step'; host?: string; step: string; status: 'done' | 'skipped'; detail?: string }
  | { type: 'output'; host?: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'upload'; host?: string; file: string; bytes: number; total: number }
  | { type: 'result'; command: string; ok: boolean; data?: unknown };

export type EventOf<T extends DeployerEvent['type']> = Extract<DeployerEvent, { type: T }>;
