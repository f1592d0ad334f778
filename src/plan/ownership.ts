// Ownership: deployer changes or deletes only what it created (README
// "Security model"). Every app dir it creates carries an identity record,
// `<app dir>/.deployer-app`, written when the dir is created; every unit file
// and Caddy site it writes carries an owner line. The probe compares the
// record with the one this config would write before anything is created,
// and a phase that deletes the app dir checks it again on the host.
//
// The identity is (app, stage, apps_dir), not the app dir's name: app `shop`
// with [stages.admin] and an app `shop-admin` share the name `shop-admin`
// (dir, units, site), and the record is what tells them apart.
import type { Config } from '../config/types.js';
import { DeployerError, ExitCode } from '../errors.js';
import { layoutFor } from './layout.js';

export type Identity = Pick<Config, 'app' | 'stage' | 'appsDir'>;

/** The identity record's name inside the app dir. */
export const IDENTITY_FILE = '.deployer-app';

/** The record's content, without the final newline. */
export function identityText(id: Identity): string {
  return `app=${id.app}\nstage=${id.stage ?? ''}\napps_dir=${layoutFor({ appsDir: id.appsDir, appName: 'x' }).appsDir}`;
}

/** The line every unit file and Caddy site of this app carries. */
export function ownerLine(id: Identity): string {
  return `# deployer-owner: ${identityText(id).replace(/\n/g, ' ')}`;
}

/** "shop (stage admin)", for messages. */
export function describeIdentity(id: Identity): string {
  return id.stage ? `${id.app} (stage ${id.stage})` : id.app;
}

/**
 * The Description= prefix of the units deployer wrote before identity records
 * existed: it names app and stage apart ("shop (admin) web" is not
 * "shop-admin web"), which the unit marker does not. Used to adopt such dirs.
 */
export function legacyDescription(id: Identity): string {
  return `Description=${id.app}${id.stage ? ` (${id.stage})` : ''} `;
}

// What the probe found at the app dir: a wire type (src/remote/state.ts).
export type { OwnerStatus } from '../remote/state.js';

export class OwnershipError extends DeployerError {
  constructor(message: string, hint: string, details?: string) {
    super(message, { exitCode: ExitCode.remote, hint, details });
  }
}

/** The refusal for an app dir that exists but is not this config's. */
export function refusedAppDir(host: string, id: Identity & Pick<Config, 'appName'>, record: string | undefined): OwnershipError {
  const { appDir } = layoutFor(id);
  const whose = record?.trim() ? ` (its identity record ${appDir}/${IDENTITY_FILE} says ${record.trim().replace(/\n/g, ' ')})` : '';
  return new OwnershipError(
    `${host}: ${appDir} exists and was not created by deployer for ${describeIdentity(id)}${whose}; nothing was changed`,
    record?.trim()
      ? 'another app or stage has the same name here: rename the app or the stage, or use another apps_dir'
      : `deployer only writes into directories it created: choose another apps_dir or app name, or move ${appDir} away`,
  );
}

/**
 * Unit files and the Caddy site this deploy would write must not be another
 * app's: a unit or site with an owner line that is not ours is refused. Files
 * without an owner line were written by an earlier deployer under this name
 * (the app dir check already proved the name is ours). Files that do not
 * carry the unit marker at all are checked on the host (dp_check_owned).
 */
export function checkUnitsAndSite(
  host: string,
  config: Config,
  others: { otherUnits?: Record<string, string>; otherSite?: string },
  wanted: string[],
  siteWanted: boolean,
): void {
  const whose = (line: string) => line.replace(/^# deployer-owner: /, '').trim();
  const clashes: string[] = [];
  for (const name of wanted) {
    const other = others.otherUnits?.[name];
    if (other) clashes.push(`${name} belongs to ${whose(other)}`);
  }
  if (siteWanted && others.otherSite) clashes.push(`${layoutFor(config).caddySite} belongs to ${whose(others.otherSite)}`);
  if (clashes.length) {
    throw new OwnershipError(
      `${host}: ${clashes.join('; ')}, not to ${describeIdentity(config)} in ${layoutFor(config).appsDir}; nothing was changed`,
      'another app or stage has the same unit names here: rename the app or the stage',
    );
  }
}
