// What the deploy phases share, and the records each phase hands to the next.
// Each stage adds what it learnt, so no later phase has to assert that an
// earlier one ran: a host that reached `verify` has a plan and a switch.
import type { Config, HostConfig } from '../config/types.js';
import type { Context, Switch } from '../context.js';
import type { ScriptResult } from '../exec/remote.js';
import type { Artifact } from '../local/build.js';
import type { HostDeployPlan, ReleaseFile } from '../plan/planDeploy.js';
import type { Resolver } from '../local/resolver.js';
import type { HostRun, Locked } from './hostRun.js';

export type { Connected, Locked } from './hostRun.js';

export interface DeployOptions {
  action: 'deploy' | 'redeploy';
  lockWait: number;
  timings: boolean;
  /** deploy --maintenance (src/plan/maintenanceMode.ts). */
  maintenance?: boolean;
}

/** Stable phase identifiers (the `phase` of --json events, docs/json.md). */
export type PhaseId =
  'build' | 'connect' | 'lock' | 'upload' | 'prepare' | 'switch' | 'verify' | 'canary' | 'commit' | 'rollback' | 'live' | 'unchanged';

export interface Flow {
  ctx: Context;
  opts: DeployOptions;
  config: Config;
  version: string;
  hosts: HostConfig[];
  /** The connections and locks of `hosts`. */
  run: HostRun;
  timings: Timings;
  /** Who deploys and when, for .versions and the history log. */
  by: string;
  /** DNS answers for the check at the end, looked up from the start. */
  resolve: Resolver;
  time: string;
  /** With [rollout]: the hosts whose wave started; the end hooks leave the others (never touched) alone. */
  reached?: Set<string>;
  /** With [rollout]: each host's wave (1-based), for its `host` event. */
  waveOf?: Map<string, number>;
  /** The hosts whose upload started: one that stops short of its switch has a release prepared, not live. */
  touched: Set<string>;
  /** The hosts that got their verdict so far, in order: a deploy that stops mid-rollout reports them as they ended. */
  decided: Decided[];
  /** Aborted on Ctrl-C (or SIGTERM): no wave and no switch starts after it. */
  interrupt?: AbortSignal;
}

export interface LocalResult {
  artifact: Artifact;
  files: Map<string, ReleaseFile[]>;
}

export interface Planned extends Locked {
  plan: HostDeployPlan;
  uploadedBytes: number;
}

export interface Switched extends Planned {
  /** When the switch started (ctx.clock), to read only this deploy's journal lines. */
  switchedAt: number;
  /** Undefined when the switch could not even start (the connection failed). */
  switch?: Switch;
  switchError?: string;
}

export interface Verified extends Switched {
  healthy: boolean;
  healthError?: string;
  /** The app's journal since the switch, read when the health check failed. */
  unitLog?: string;
}

export interface Decided extends Verified {
  /** The switch script's end; undefined when it never started. */
  result?: ScriptResult;
  rolledBack: boolean;
  /** When this host's verdict was carried out (ctx.clock): with `since`, the host's own time. */
  endedAt: number;
}

/** How long each phase took, in integer milliseconds, in the order they ran. */
export class Timings {
  readonly phases: Array<[PhaseId, number]> = [];
  private readonly start: number;
  private t: number;
  constructor(private readonly now: () => number) {
    this.start = this.t = now();
  }
  lap(name: PhaseId): number {
    const now = this.now();
    const ms = Math.round(now - this.t);
    this.phases.push([name, ms]);
    this.t = now;
    return ms;
  }
  /** Milliseconds since the deploy started. */
  total(): number {
    return Math.round(this.now() - this.start);
  }
}
