// Everything a deploy writes for one host: unit files, the unit instances to
// bring up, and the Caddy site. The executor uploads these (src/exec/upload-command.ts), compares
// them with what is there, and runs systemctl/caddy on what changed.
import type { Config, HostConfig } from '../config/types.js';
import { caddySitePath } from './names.js';
import type { Renderer } from './renderer.js';
import { buildViews, type DeployAction } from './views.js';
import type { Slot } from '../plan/slots.js';

export interface RenderedUnit {
  /** File name under /etc/systemd/system, e.g. "hello-web@.service". */
  name: string;
  content: string;
  /** Units to enable and start/restart: "hello-web@8000.service", "hello-job.timer"; empty when another unit starts this one. */
  instances: string[];
  /** "restart" for services and timers; "start" for sockets (restarting a socket in use fails). */
  action: DeployAction;
}

export interface RenderedHost {
  units: RenderedUnit[];
  caddySite?: { path: string; content: string };
  /** Blue-green: the site for each slot (caddySite is slot a's). */
  slotSites?: Record<Slot, string>;
}

export function renderAll(config: Config, host: HostConfig, renderer: Renderer): RenderedHost {
  const views = buildViews(config, host);
  const units = views.units.map((u) => ({
    name: u.name,
    content: renderer.render(u.template, u.view),
    instances: u.instances,
    action: u.action,
  }));
  if (!views.caddy) return { units };
  const caddySite = { path: caddySitePath(config), content: renderer.render(views.caddy.template, views.caddy.view) };
  if (!views.slotCaddy) return { units, caddySite };
  const { a, b } = views.slotCaddy;
  return { units, caddySite, slotSites: { a: renderer.render(a.template, a.view), b: renderer.render(b.template, b.view) } };
}
