// The first steps of prepare: the app's own user (the default) and its data
// dir, before the env files are given to its group and release_command may
// write its data; and the units and site this release installs must be
// absent or this app's: a hand-made unit of the same name, or another app's,
// is never replaced. Pure.
import { appUserFor } from './appUser.js';
import { UNITS_PREFIX, type ReleasePlace } from './deployInput.js';
import { ownerLine } from './ownership.js';
import { unitMarker } from './probeRequest.js';
import type { Step } from '../remote/steps.js';

export function planAppHome(p: ReleasePlace): Step[] {
  const appUser = appUserFor(p.config);
  const steps: Step[] = [];
  if (appUser.dedicated) steps.push({ kind: 'ensure-app-user', name: appUser.name, comment: appUser.comment });
  steps.push({ kind: 'ensure-data-dir', path: p.L.dataDir, user: appUser.name });
  const units = p.files.filter((f) => f.path.startsWith(UNITS_PREFIX)).map((f) => f.path.slice(UNITS_PREFIX.length));
  const hasSite = p.files.some((f) => f.path === '.deployer/caddy.site');
  steps.push({
    kind: 'check-owned',
    marker: unitMarker(p.config.appName),
    owner: ownerLine(p.config),
    unitDir: p.L.unitDir,
    units,
    ...(hasSite ? { site: p.L.caddySite } : {}),
  });
  return steps;
}
