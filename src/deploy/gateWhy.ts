// Why a blue-green gate failed, in the user's terms: what the host saw
// (dp_web_listens, "address already in use") joined with the cause the config
// shows (a fixed port in the web command or an env value, named, never quoted).
import { fixedPortIn } from '../config/rules.js';
import { Marker, type MarkerLine } from '../remote/protocol.js';

export interface GateSources {
  /** The web process's command as written. */
  command: string;
  /** The env as written (references unresolved): only names are ever shown. */
  env: ReadonlyArray<{ key: string; value: string }>;
}

/** One sentence per instance the host could explain, or none. */
export function explainGate(markers: readonly MarkerLine[], sources: GateSources): string[] {
  const out: string[] = [];
  for (const m of markers) {
    if (m.marker === Marker.webListens) {
      const [unit, port, ...addrs] = m.arg.split(' ').filter(Boolean);
      if (addrs.length === 0) {
        out.push(`${unit} listens on no TCP port, not ${port}`);
        continue;
      }
      const ports = [...new Set(addrs.map((a) => Number(a.slice(a.lastIndexOf(':') + 1))))];
      const causes = ports.flatMap((p) => causesFor(p, sources));
      out.push(`${unit} listens on ${addrs.join(', ')}, not ${port}${causes.length ? `: ${causes.join('; ')}` : ''}`);
    } else if (m.marker === Marker.webAddrInUse) {
      const fixed = fixedPortIn(sources.command, () => true);
      const cause = fixed ? `: the web command binds port ${fixed.port} itself (${JSON.stringify(fixed.word)}); use $PORT` : '';
      out.push(`${m.arg}'s log says "address already in use": another process holds the port it binds${cause}`);
    }
  }
  return out;
}

function causesFor(port: number, { command, env }: GateSources): string[] {
  const out: string[] = [];
  const fixed = fixedPortIn(command, (p) => p === port);
  if (fixed)
    out.push(`the web command binds port ${port} itself (${JSON.stringify(fixed.word)}); use $PORT: ${JSON.stringify(fixed.fixed)}`);
  const number = new RegExp(`(^|[^0-9])${port}([^0-9]|$)`);
  const keys = env.filter((e) => number.test(e.value)).map((e) => e.key);
  if (keys.includes('PORT')) out.push(`the env sets PORT to ${port}; remove PORT from env`);
  const others = keys.filter((k) => k !== 'PORT');
  if (others.length)
    out.push(
      `the env's ${others.join(', ')} ${others.length === 1 ? 'names' : 'name'} port ${port}; bind $PORT in the web command instead`,
    );
  return out;
}
