// The Caddy site a release installs is checked in prepare, while nothing
// live has changed: Caddy must import the app sites, and its whole config
// must validate with the new site in place. Pure.
import type { ReleasePlace } from './deployInput.js';
import { SLOTS, slotSitePath } from './slots.js';
import type { Step } from '../remote/steps.js';

export function planSiteChecks(p: ReleasePlace): Step[] {
  const { L, state } = p;
  const newSite = p.files.find((f) => f.path === '.deployer/caddy.site');
  if (!newSite || newSite.content === state.caddySite || onlyTheSlotMoves(p)) return [];
  const steps: Step[] = [];
  if (!state.caddyImportsSites)
    steps.push({
      kind: 'run',
      argv: ['dp_require_caddy_import', L.caddyfile, L.caddySitesDir],
      desc: 'check that Caddy imports the app sites',
    });
  steps.push({
    kind: 'caddy-validate',
    caddyfile: L.caddyfile,
    sitesDir: L.caddySitesDir,
    site: L.caddySite,
    candidate: `${p.dir}/${newSite.path}`,
  });
  return steps;
}

/**
 * Blue-green: the site changes only in which slot it points at. Both slot
 * texts are the live release's, byte for byte, and Caddy runs the live
 * slot's: the candidate is the same site with the other slot's upstream
 * ports, so `caddy validate` (tens of ms on every deploy) would check nothing
 * Caddy has not accepted. The reload still refuses a bad config, and the
 * switch then reverts.
 */
function onlyTheSlotMoves(p: ReleasePlace): boolean {
  const { liveSlot, currentFiles, caddySite, current } = p.state;
  if (!p.slot || !liveSlot || !currentFiles || current === p.version) return false;
  const texts = SLOTS.map((s) => p.files.find((f) => f.path === slotSitePath(s)));
  if (texts.some((f) => f === undefined || currentFiles[f.path] !== f.sha256)) return false;
  return caddySite !== undefined && texts[SLOTS.indexOf(liveSlot)]?.content === caddySite;
}
