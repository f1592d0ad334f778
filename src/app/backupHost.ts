// `app backup` and `app restore` work on one host's data dir: each host has
// its own. With several hosts selected, --host must say which one.
import type { Config, HostConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { selectHosts } from '../deploy/hostSelection.js';

export function pickOneHost(config: Config, names: string[] | undefined, command: 'backup' | 'restore'): HostConfig {
  const hosts = selectHosts(config, names);
  if (hosts.length === 1) return hosts[0];
  const list = hosts.map((h) => h.name).join(', ');
  const what = command === 'backup' ? 'takes the data of one host' : 'restores the data of one host';
  throw new ConfigError(
    `app ${command} ${what}, and ${hosts.length} hosts are selected (${list}): each host has its own DEPLOYER_DATA_DIR, so deployer will not pick one for you`,
    {
      hint: `name the host: deployer app ${command}${command === 'restore' ? ' FILE' : ''} --host ${hosts[0].name}`,
    },
  );
}
