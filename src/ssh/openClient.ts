// Opening an SSH connection: the route from ~/.ssh/config (ProxyJump hops
// included), the host key checked against known_hosts (or the policy's
// accept-new), keys tried in order. SshSession (src/ssh/session.ts) wraps
// the authenticated client; this module only gets it there.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2, { type ConnectConfig, type Client } from 'ssh2';
import type { HostConfig } from '../config/types.js';
import { SshError } from '../errors.js';
import { authMethods, type AskPassphrase, type AuthMethod } from './auth.js';
import { expandHome } from './home.js';
import { resolveRoute, type SshTarget } from './sshConfig.js';
import {
  checkHostKey,
  fingerprint,
  knownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  type HostKeyVerdict,
  type KnownHostEntry,
} from './knownHosts.js';

export interface ConnectOptions {
  env: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** Called for debug lines (never with secrets). */
  debug?: (message: string) => void;
  /** Ask for an encrypted key's passphrase on the terminal (interactive runs only). */
  interactive?: boolean;
  /** How to ask (default: a hidden prompt on the terminal). */
  askPassphrase?: AskPassphrase;
  /** The route when the caller already started resolving it (`ssh -G` runs while ssh2 loads). */
  route?: Promise<SshTarget>;
  /** Called once the TCP connection and handshake have started (the caller may then do its own work). */
  onDial?: () => void;
  /** A TCP connection to the route's address already open (src/ssh/dial.ts); undefined: ssh2 dials. */
  dialed?: Promise<Duplex | undefined>;
}

const askOnTerminal: AskPassphrase = async (source) => {
  const { password } = await import('@inquirer/prompts');
  return password({ message: `Passphrase for the SSH key ${source}:`, mask: false });
};

interface KnownHostsSource {
  entries: KnownHostEntry[];
  /** File to append to with accept-new, when the source is a file. */
  writable?: string;
  description: string;
}

function loadKnownHosts(host: HostConfig, env: NodeJS.ProcessEnv): KnownHostsSource {
  const envName = host.knownHostsEnv ?? (env.DEPLOYER_KNOWN_HOSTS ? 'DEPLOYER_KNOWN_HOSTS' : undefined);
  if (envName) {
    const text = env[envName];
    if (text === undefined) {
      throw new SshError(`host ${host.name}: known_hosts_env names ${envName}, but it is not set`, {
        hint: `export ${envName}="$(ssh-keyscan -p ${host.port} ${host.address})" after checking the fingerprint`,
      });
    }
    return { entries: parseKnownHosts(text, `$${envName}`), description: `$${envName}` };
  }
  const files = host.knownHosts ? [expandHome(host.knownHosts)] : [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
  const entries = files.filter((f) => existsSync(f)).flatMap((f) => parseKnownHosts(readFileSync(f, 'utf8'), f));
  return { entries, writable: files[0], description: files.join(' or ') };
}

/** `[address]:port` as known_hosts and ssh-keygen -R spell it. */
function knownName(host: HostConfig): string {
  return host.port === 22 ? host.address : `[${host.address}]:${host.port}`;
}

function hostKeyError(host: SshTarget, verdict: HostKeyVerdict, blob: Buffer, source: KnownHostsSource, via?: SshTarget): SshError {
  const fp = fingerprint(blob);
  const where = `${host.name} (${host.address}:${host.port}${via ? ` via ${via.name}` : ''})`;
  const file = source.writable ?? '~/.ssh/known_hosts';
  const keyscan = `ssh-keyscan -p ${host.port} ${host.address}`;
  if (verdict.status === 'mismatch') {
    return new SshError(
      `REMOTE HOST KEY CHANGED for ${where}: it presented ${fp}, which does not match ${verdict.known.map((e) => e.source).join(', ')}. Someone may be intercepting the connection, or the host was reinstalled. Nothing was run.`,
      {
        hint: `if the host was really reinstalled, remove the old entry (ssh-keygen -f ${file} -R '${knownName(host)}') and verify the new fingerprint out of band`,
      },
    );
  }
  if (verdict.status === 'revoked') {
    return new SshError(`host key of ${where} is marked @revoked in ${verdict.entry.source}. Nothing was run.`);
  }
  return new SshError(`host ${where} is not in ${source.description} (its key is ${fp}). Nothing was run.`, {
    hint: `check the fingerprint, then add it: ${via ? `ssh ${via.user}@${via.address} -p ${via.port} ${keyscan}` : keyscan} >> ${file}, or set host_key_policy = "accept-new" for the first contact`,
  });
}

/** Opens a direct TCP channel from `hop` to the next host of the route. */
function forward(hop: Client, from: SshTarget, to: SshTarget): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    hop.forwardOut('127.0.0.1', 0, to.address, to.port, (err, stream) =>
      err
        ? reject(
            new SshError(
              `jump host ${from.name} (${from.user}@${from.address}:${from.port}) cannot reach ${to.address}:${to.port}: ${err.message}`,
              {
                hint: `check ProxyJump and HostName in ~/.ssh/config (ssh -J ${from.user}@${from.address}:${from.port} -p ${to.port} ${to.user}@${to.address} true)`,
              },
            ),
          )
        : resolve(stream as unknown as Duplex),
    );
  });
}

/** One authenticated ssh2 client: host key verified, keys tried in order; over `sock` for a hop. */
async function openClient(
  host: SshTarget,
  opts: ConnectOptions,
  ask: AskPassphrase | undefined,
  sock?: Duplex,
  via?: SshTarget,
): Promise<Client> {
  const known = loadKnownHosts(host, opts.env);
  const methods = await authMethods(host, opts.env, ask);
  const client = new ssh2.Client();
  let rejection: SshError | undefined;

  const hostVerifier = (blob: Buffer): boolean => {
    const verdict = checkHostKey(known.entries, host.address, host.port, blob);
    if (verdict.status === 'match') return true;
    if (verdict.status === 'unknown' && host.hostKeyPolicy === 'accept-new' && known.writable) {
      mkdirSync(dirname(known.writable), { recursive: true, mode: 0o700 });
      appendFileSync(known.writable, knownHostsLine(host.address, host.port, blob) + '\n', { mode: 0o600 });
      opts.debug?.(`accepted new host key ${fingerprint(blob)} for ${host.name}, saved to ${known.writable}`);
      return true;
    }
    rejection = hostKeyError(host, verdict, blob, known, via);
    return false;
  };

  const remaining = [...methods];
  const authHandler = (_methodsLeft: unknown, _partial: unknown, next: (m: unknown) => void) => {
    const m = remaining.shift() as AuthMethod | undefined;
    if (!m) return next(false);
    opts.debug?.(`trying ${m.type} auth from ${m.source} for ${m.username}@${host.address}:${host.port}`);
    if (m.type === 'agent') return next({ type: 'agent', username: m.username, agent: m.agent });
    return next({ type: 'publickey', username: m.username, key: m.key, passphrase: m.passphrase });
  };

  const config: ConnectConfig = {
    ...(sock ? { sock: sock as never } : { host: host.address, port: host.port }),
    username: host.user,
    readyTimeout: opts.readyTimeoutMs ?? 20_000,
    // Notice a dead network within ~30 s instead of hanging on it.
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    hostVerifier,
    authHandler: authHandler as ConnectConfig['authHandler'],
    algorithms: { serverHostKey: preferredHostKeyAlgorithms(known.entries, host.address, host.port) as never },
  };
  const jump = via ? ` -J ${via.user}@${via.address}:${via.port}` : '';

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error & { level?: string }) => {
      client.removeListener('ready', onReady);
      if (rejection) return reject(rejection);
      if (err.level === 'client-authentication') {
        return reject(
          new SshError(
            `host ${host.name}: ${host.user}@${host.address}:${host.port} refused every key offered (${methods.map((m) => m.source).join(', ')})`,
            {
              hint: `add your public key to ~${host.user}/.ssh/authorized_keys on the host, or fix user/key_file in the config (or User/IdentityFile in ~/.ssh/config)`,
            },
          ),
        );
      }
      reject(
        new SshError(`cannot connect to ${host.name} (${host.address}:${host.port}${via ? ` via ${via.name}` : ''}): ${err.message}`, {
          hint: `check address and port, and that sshd runs on the host (ssh${jump} -p ${host.port} ${host.user}@${host.address} true)`,
          cause: err,
        }),
      );
    };
    const onReady = () => {
      client.removeListener('error', onError);
      resolve();
    };
    client.once('error', onError);
    client.once('ready', onReady);
    client.connect(config);
    opts.onDial?.();
  });
  client.on('error', () => {
    /* after ready, errors surface through channels and 'close' */
  });
  // Nagle's algorithm holds a small packet while the one before is unacknowledged,
  // and the host delays its ACK when it has nothing to say (40 ms on Linux): a
  // channel opened right after the last one closed waited for that ACK, every time.
  client.setNoDelay(true);
  return client;
}

/** The authenticated client of `host`'s route, through its jump hosts (returned too: they close with it). */
export async function openRoute(host: HostConfig, opts: ConnectOptions): Promise<{ route: SshTarget; client: Client; hops: Client[] }> {
  // ~/.ssh/config (Host aliases, ProxyJump …), with deployer.toml winning.
  const route = await (opts.route ?? resolveRoute(host, opts.env));
  opts.debug?.(
    `${host.address}: ${route.user}@${route.address}:${route.port}${route.jumps?.length ? ` via ${route.jumps.map((j) => j.name).join(', ')}` : ''} (from ${route.via})`,
  );
  const ask = opts.askPassphrase ?? (opts.interactive ? askOnTerminal : undefined);
  const hops: Client[] = [];
  try {
    let sock: Duplex | undefined;
    const path = [...(route.jumps ?? []), route];
    for (let i = 0; i < path.length - 1; i++) {
      opts.debug?.(`jumping through ${path[i].user}@${path[i].address}:${path[i].port}`);
      const hop = await openClient(path[i], opts, ask, sock, path[i - 1]);
      hops.push(hop);
      sock = await forward(hop, path[i], path[i + 1]);
    }
    // A hop's forwarded stream, else the connection opened while ssh2 loaded (if it connected).
    sock ??= route.jumps?.length ? undefined : await opts.dialed;
    const client = await openClient(route, opts, ask, sock, path[path.length - 2]);
    return { route, client, hops };
  } catch (e) {
    for (const h of hops.reverse()) h.end();
    throw e;
  }
}
