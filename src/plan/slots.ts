// Blue-green for the web process: two slots, "a" and "b", each with its own
// ports (one per replica). The live slot serves through Caddy; a deploy
// starts the new release in the idle slot, gates it, then points Caddy at it.
// Ports: webserver.upstream's port P and R replicas give slot a the even
// offsets P, P+2 … P+2R-2 and slot b the odd ones P+1, P+3 … P+2R-1, so the
// two slots never share a port whatever R was when the live slot started: a
// replicas change (2 -> 3) starts the new instances beside the old ones, never
// on one of their ports. Each instance runs from its own release directory
// through the link <appDir>/.web/<port>, set only while that instance is
// stopped, so flipping `current` never changes what a running one executes.
// Pure: which slot is live comes from the probe (RemoteState.liveSlot).
import type { Config } from '../config/types.js';
import { layoutFor } from './layout.js';
import { parseUpstream } from '../render/upstream.js';

export type Slot = 'a' | 'b';
export const SLOTS: readonly Slot[] = ['a', 'b'];

export interface WebSlots {
  /** The web template unit file, e.g. "hello-web@.service". */
  unit: string;
  ports: Record<Slot, number[]>;
  /** Unit instances per slot, e.g. { a: ["hello-web@8000.service"], b: ["hello-web@8001.service"] }. */
  instances: Record<Slot, string[]>;
}

type StrategyConfig = Pick<Config, 'processes' | 'webserver' | 'appName' | 'strategy'>;

function strategyOf(config: Pick<Config, 'strategy'>): Config['strategy'] {
  return config.strategy;
}

/**
 * Why blue-green cannot apply to this config although it asks for it, or
 * undefined when it can (or when the config asks for "restart"). A socket-
 * activated web process or a unix-socket upstream has one fixed address, so
 * two copies cannot run side by side: such an app deploys by restart.
 */
export function blueGreenBlocker(config: StrategyConfig): string | undefined {
  if (strategyOf(config) !== 'blue-green') return undefined;
  const web = config.processes.find((p) => p.name === 'web');
  if (!web) return 'there is no web process';
  if (!config.webserver.enabled) return 'the web server is disabled';
  if (web.socket) return 'the web process is socket-activated (one fixed address)';
  const up = parseUpstream(config.webserver.upstream);
  if (up.unixPath !== undefined) return 'webserver.upstream is a unix socket (one fixed address)';
  if ((config.webserver.port ?? up.port) === undefined) return 'webserver.upstream has no port';
  return undefined;
}

export function usesBlueGreen(config: StrategyConfig): boolean {
  return strategyOf(config) === 'blue-green' && blueGreenBlocker(config) === undefined;
}

/** The web slots of a blue-green config, or undefined when it deploys by restart. */
export function webSlots(config: StrategyConfig): WebSlots | undefined {
  if (!usesBlueGreen(config)) return undefined;
  const web = config.processes.find((p) => p.name === 'web')!;
  const base = config.webserver.port ?? parseUpstream(config.webserver.upstream).port!;
  const r = Math.max(1, web.replicas);
  const ports = { a: stride(base, r), b: stride(base + 1, r) };
  const stem = `${config.appName}-web`;
  const inst = (ps: number[]) => ps.map((p) => `${stem}@${p}.service`);
  return { unit: `${stem}@.service`, ports, instances: { a: inst(ports.a), b: inst(ports.b) } };
}

export function otherSlot(slot: Slot): Slot {
  return slot === 'a' ? 'b' : 'a';
}

/** The slot a deploy starts its release in: the one not serving. */
export function idleSlot(liveSlot: Slot | undefined): Slot {
  // Nothing recorded (first deploy, or the app ran with strategy = "restart",
  // whose web unit listens on slot a's first port): start in b.
  return liveSlot === 'b' ? 'a' : 'b';
}

/** `<appDir>/.web`: one link per port to the release its instance runs. */
export function webLinksDir(config: Pick<Config, 'appsDir' | 'appName'>): string {
  return layoutFor(config).webDir;
}

/** The release's Caddy site for a slot (the upstream is that slot's ports). */
export function slotSitePath(slot: Slot): string {
  return `.deployer/caddy-${slot}.site`;
}

/** n ports from `from`, every other one (the other slot has those between). */
function stride(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + 2 * i);
}
