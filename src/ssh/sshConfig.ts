// Hosts the way the user's own SSH reaches them: `address` may be a Host alias
// of ~/.ssh/config. ssh2 reads no config, so we ask OpenSSH itself (`ssh -G
// ALIAS` prints the resolved settings, Include and Match included) and take
// what the config set: what differs from `ssh -F /dev/null -G ALIAS`, OpenSSH's
// own defaults. Without an `ssh` binary the npm parser `ssh-config` reads
// ~/.ssh/config (Include expanded here; no Match exec). Values written in
// deployer.toml win.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { HostConfig } from '../config/types.js';
import { expandHome } from './home.js';
import { sshDumps, type RunSsh } from './sshDumps.js';

export type { RunSsh };

/** What ~/.ssh/config says about one alias (only what it set, not OpenSSH's defaults). */
export interface SshConfigValues {
  hostname?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  userKnownHostsFiles: string[];
  /** ProxyJump hops, first hop first: `[user@]host[:port]`. */
  proxyJump: string[];
  /** How it was read, for --verbose. */
  via: string;
}

/** A host as deployer connects to it: the config's values with ~/.ssh/config applied. */
export interface SshTarget extends HostConfig {
  /** Extra keys to try (IdentityFile lines), after key_file / key_env. */
  identityFiles?: string[];
  /** IdentitiesOnly yes: never use ssh-agent. */
  identitiesOnly?: boolean;
  /** Hops to go through, first hop first (ProxyJump). */
  jumps?: SshTarget[];
  /** How ~/.ssh/config was read (for --verbose). */
  via?: string;
}

function parseDump(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(' ');
    if (i <= 0) continue;
    const key = line.slice(0, i).toLowerCase();
    m.set(key, [...(m.get(key) ?? []), line.slice(i + 1).trim()]);
  }
  return m;
}

/** `ssh -G` minus OpenSSH's defaults. Pure: the two dumps in, the values out. */
export function valuesFromDumps(resolved: string, defaults: string, via = 'ssh -G'): SshConfigValues {
  const r = parseDump(resolved);
  const d = parseDump(defaults);
  const one = (k: string): string | undefined => {
    const v = r.get(k)?.[0];
    return v !== undefined && v !== d.get(k)?.[0] ? v : undefined;
  };
  const defaultIds = new Set(d.get('identityfile') ?? []);
  const jump = r.get('proxyjump')?.[0];
  const known = one('userknownhostsfile');
  const port = one('port');
  const only = one('identitiesonly');
  return {
    hostname: one('hostname'),
    user: one('user'),
    port: port === undefined ? undefined : Number(port),
    identityFiles: (r.get('identityfile') ?? []).filter((f) => !defaultIds.has(f)),
    identitiesOnly: only === undefined ? undefined : only === 'yes',
    userKnownHostsFiles: known ? known.split(/\s+/) : [],
    proxyJump: jump && jump !== 'none' ? jump.split(',') : [],
    via,
  };
}

/** Include lines replaced by the files they name (globs with `*` in the file name). */
function expandIncludes(path: string, depth = 0): string {
  if (depth > 8 || !existsSync(path)) return '';
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => {
      const m = /^\s*include\s+(.+)$/i.exec(line);
      if (!m) return line;
      return m[1]
        .trim()
        .split(/\s+/)
        .map((pattern) => {
          const p = expandHome(pattern.replace(/^"|"$/g, ''));
          const full = isAbsolute(p) ? p : join(homedir(), '.ssh', p);
          const dir = dirname(full);
          const re = new RegExp(
            '^' +
              basename(full)
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '.*')
                .replace(/\?/g, '.') +
              '$',
          );
          const files = existsSync(dir)
            ? readdirSync(dir)
                .filter((f) => re.test(f))
                .sort()
            : [];
          return files.map((f) => expandIncludes(join(dir, f), depth + 1)).join('\n');
        })
        .join('\n');
    })
    .join('\n');
}

async function valuesFromParser(alias: string): Promise<SshConfigValues> {
  const text = expandIncludes(join(homedir(), '.ssh', 'config'));
  const { default: SSHConfig } = await import('ssh-config');
  const c = SSHConfig.parse(text).compute(alias, { ignoreCase: true, matchExec: false }) as Record<string, string | string[]>;
  const get = (k: string): string[] => {
    const v = c[k];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  const first = (k: string): string | undefined => get(k)[0];
  const jump = first('proxyjump');
  return {
    hostname: first('hostname'),
    user: first('user'),
    port: first('port') === undefined ? undefined : Number(first('port')),
    identityFiles: get('identityfile'),
    identitiesOnly: first('identitiesonly') === undefined ? undefined : first('identitiesonly')!.toLowerCase() === 'yes',
    userKnownHostsFiles: get('userknownhostsfile').flatMap((v) => v.split(/\s+/)),
    proxyJump: jump && jump !== 'none' ? jump.split(',') : [],
    via: `${join(homedir(), '.ssh', 'config')} (no ssh binary; read with the ssh-config parser)`,
  };
}

/** Reads what ~/.ssh/config (and /etc/ssh/ssh_config) says about `alias`. */
export async function readSshConfig(alias: string, run?: RunSsh): Promise<SshConfigValues> {
  // OpenSSH finds ~/.ssh/config through the passwd entry, deployer through
  // $HOME: when they differ (a CI job, a test), name the file.
  const own = join(homedir(), '.ssh', 'config');
  const file = homedir() !== userInfo().homedir && existsSync(own) ? ['-F', own] : [];
  const [resolved, defaults] = run
    ? await Promise.all([run([...file, '-G', '--', alias]), run(['-F', '/dev/null', '-G', '--', alias])])
    : await sshDumps(alias, file[1] ?? '');
  if (resolved === undefined) return valuesFromParser(alias);
  return valuesFromDumps(resolved, defaults ?? '', `ssh ${[...file, '-G', alias].join(' ')}`);
}

/** %d %u %h %r %p %% in IdentityFile / UserKnownHostsFile, and ~. */
function expandTokens(path: string, t: { host: string; user: string; port: number }): string {
  const out = path.replace(/%([duhrp%])/g, (_, c: string) =>
    c === 'd' ? homedir() : c === 'u' ? userInfo().username : c === 'h' ? t.host : c === 'r' ? t.user : c === 'p' ? String(t.port) : '%',
  );
  return expandHome(out);
}

function hopSpec(spec: string): { user?: string; host: string; port?: number } {
  const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) return { host: spec };
  return { user: m[1], host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined };
}

/** Pure: the config's host with what ~/.ssh/config set applied (deployer.toml wins). */
export function applySshConfig(host: HostConfig, v: SshConfigValues, env: NodeJS.ProcessEnv): SshTarget {
  const defaulted = new Set(host.defaulted ?? []);
  const address = v.hostname ?? host.address;
  const user = defaulted.has('user') && v.user ? v.user : host.user;
  const port = defaulted.has('port') && v.port ? v.port : host.port;
  const t = { host: address, user, port };
  const ids = v.identityFiles.map((f) => expandTokens(f, t));
  const knownFromEnv = host.knownHostsEnv || env.DEPLOYER_KNOWN_HOSTS;
  const known = host.knownHosts ?? (knownFromEnv ? undefined : v.userKnownHostsFiles.map((f) => expandTokens(f, t))[0]);
  return {
    ...host,
    address,
    user,
    port,
    ...(known ? { knownHosts: known } : {}),
    ...(ids.length ? { identityFiles: ids } : {}),
    ...(v.identitiesOnly !== undefined ? { identitiesOnly: v.identitiesOnly } : {}),
  };
}

/**
 * The whole route to a host: the target with ~/.ssh/config applied, and its
 * ProxyJump hops, each configured by its own Host block as OpenSSH does
 * (user and port defaults: OpenSSH's, the local user and 22). A hop's host
 * key is checked like the target's: its own UserKnownHostsFile, else the
 * target's known_hosts.
 */
export async function resolveRoute(host: HostConfig, env: NodeJS.ProcessEnv, run?: RunSsh): Promise<SshTarget> {
  const values = await readSshConfig(host.address, run);
  const target = applySshConfig(host, values, env);
  const jumps: SshTarget[] = [];
  for (const spec of values.proxyJump) {
    const s = hopSpec(spec);
    const hv = await readSshConfig(s.host, run);
    const base: HostConfig = {
      name: s.host,
      address: s.host,
      user: s.user ?? hv.user ?? userInfo().username,
      port: s.port ?? hv.port ?? 22,
      keyFile: target.keyFile,
      keyEnv: target.keyEnv,
      keyPassphraseEnv: target.keyPassphraseEnv,
      knownHosts: target.knownHosts,
      knownHostsEnv: target.knownHostsEnv,
      hostKeyPolicy: target.hostKeyPolicy,
      domains: [],
      defaulted: [],
    };
    const hop = applySshConfig(base, hv, env);
    // A hop's own known_hosts file wins over the target's, as with OpenSSH.
    if (hv.userKnownHostsFiles.length && !base.knownHostsEnv)
      hop.knownHosts = expandTokens(hv.userKnownHostsFiles[0], { host: hop.address, user: hop.user, port: hop.port });
    if (hop.identityFiles?.length) hop.keyFile = undefined;
    jumps.push(hop);
  }
  return { ...target, via: values.via, ...(jumps.length ? { jumps } : {}) };
}
