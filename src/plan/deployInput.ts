// What a deploy's planners read: the input (config, host, built files, the
// probed state) and where the release goes on the host. Pure data.
import type { Config, HostConfig } from '../config/types.js';
import { appUserFor } from './appUser.js';
import { layoutFor, type Layout } from './layout.js';
import type { RemoteState } from '../remote/state.js';
import type { Slot, WebSlots } from './slots.js';
import type { MaintenanceOn } from './maintenanceMode.js';

export interface ReleaseFile {
  /** Path inside the release dir, e.g. "hello-1.0.whl", ".env", ".deployer/units/x.service". */
  path: string;
  local?: string;
  content?: string;
  sha256: string;
  size: number;
  mode: number;
  secret?: boolean;
  label: string;
}

export interface DeployPlanInput {
  config: Config;
  host: HostConfig;
  version: string;
  /** Basename of the artifact inside the release dir. */
  artifact: string;
  files: ReleaseFile[];
  state: RemoteState;
  /** Time and who, for .versions and the history log. */
  time: string;
  by: string;
  /** Command for the history log: deploy, redeploy. */
  action: string;
  /** deploy --maintenance: the page to serve from before release_command until the end (src/plan/maintenanceMode.ts). */
  maintenance?: MaintenanceOn;
}

/** The input with the release's place on the host, shared by every sub-planner. */
export interface ReleasePlace extends DeployPlanInput {
  L: Layout;
  /** The release dir, <appDir>/v<version>. */
  dir: string;
  /** The app's own user when it is not the SSH user: release_command and hooks run as it. */
  runAs?: string;
  /** The live release's dir when it is another one (files and venv to copy from). */
  liveDir?: string;
  /** Blue-green: the web slots and the one this release starts in. */
  slots?: WebSlots;
  slot?: Slot;
}

export function releasePlace(input: DeployPlanInput, slots?: WebSlots, slot?: Slot): ReleasePlace {
  const L = layoutFor(input.config);
  const { state, version } = input;
  const appUser = appUserFor(input.config);
  return {
    ...input,
    L,
    dir: L.releaseDir(version),
    runAs: appUser.name !== input.host.user ? appUser.name : undefined,
    liveDir: state.current && state.current !== version ? L.releaseDir(state.current) : undefined,
    slots,
    slot,
  };
}

export const UNITS_PREFIX = '.deployer/units/';
