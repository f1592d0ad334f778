// One SSH connection per host for a whole command. Every remote script goes
// through exec() (counted, so benchmarks and tests can see round trips);
// artifacts stream into an exec channel (streamFile), small files and
// directories go through one SFTP channel; HTTP health checks go through a
// forwarded channel, so the host needs no curl.
import { connect as tlsConnect } from 'node:tls';
import { appendFileSync, createReadStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { request } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import ssh2, { type ClientChannel, type SFTPWrapper, type ConnectConfig, type Client, type PseudoTtyOptions } from 'ssh2';
import type { HostConfig } from '../config/types.js';
import { DeployerError, SshError, RemoteCommandError } from '../errors.js';
import { authMethods, type AskPassphrase, type AuthMethod } from './auth.js';
import { expandHome } from './home.js';
import { bashReading } from '../remote/scripts.js';
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

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

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

export class SshSession {
  /** Number of exec channels opened: the round trips a command made. */
  execCount = 0;
  private sftpChannel?: Promise<SFTPWrapper>;
  private closed = false;
  private closing = false;
  /** Rejects when the connection drops unexpectedly; every pending operation races it. */
  private readonly lost: Promise<never>;
  private rejectLost!: (e: Error) => void;
  private readonly closeListeners: Array<(err?: Error) => void> = [];

  private constructor(
    readonly host: HostConfig,
    private readonly client: Client,
    /** ProxyJump hops this connection goes through; closed with it. */
    private readonly hops: Client[] = [],
  ) {
    this.lost = new Promise<never>((_, reject) => (this.rejectLost = reject));
    this.lost.catch(() => undefined);
    client.on('close', () => {
      this.closed = true;
      for (const h of this.hops) h.end();
      if (!this.closing) this.rejectLost(new SshError(`connection to ${host.name} (${host.address}:${host.port}) was lost`));
      for (const l of this.closeListeners) l();
    });
    client.on('error', () => {
      /* after ready, errors surface through channels; keep the process alive */
    });
  }

  static async connect(host: HostConfig, opts: ConnectOptions): Promise<SshSession> {
    try {
      return await SshSession.open(host, opts);
    } catch (e) {
      // A connection opened ahead that nothing took over would keep the process alive.
      void opts.dialed?.then((s) => s?.destroy());
      throw e;
    }
  }

  private static async open(host: HostConfig, opts: ConnectOptions): Promise<SshSession> {
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
      return new SshSession(route, client, hops);
    } catch (e) {
      for (const h of hops.reverse()) h.end();
      throw e;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /**
   * Opens an exec channel and returns it without waiting (long-lived helpers:
   * the lock). `attach` runs synchronously in ssh2's callback: ssh2 may parse
   * the channel's exit status in the same tick, before an awaiting caller
   * could add its listeners, so listeners must be added there.
   */
  async spawn(command: string, attach?: (channel: ClientChannel) => void, opts: { pty?: PseudoTtyOptions } = {}): Promise<ClientChannel> {
    this.execCount++;
    return new Promise((resolve, reject) => {
      // A pty only when asked (`app shell`): without one, stdout and stderr stay apart.
      this.client.exec(command, opts.pty ? { pty: opts.pty } : {}, (err, channel) => {
        if (err) return reject(this.channelError(err));
        attach?.(channel);
        resolve(channel);
      });
    });
  }

  /** Runs a script, sent on stdin and read whole before it runs (`bashReading`), and collects its output. */
  execScript(script: string, opts: Omit<ExecOptions, 'stdin'> = {}): Promise<ExecResult> {
    return this.exec(bashReading(script), { ...opts, stdin: script });
  }

  /** Runs one command and collects its output. */
  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    let signal: string | undefined;
    let finish!: (r: ExecResult) => void;
    let fail!: (e: Error) => void;
    const done = new Promise<ExecResult>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    // A multi-byte character may straddle two packets: decode per stream, not per chunk.
    const outText = new StringDecoder('utf8');
    const errText = new StringDecoder('utf8');
    await this.guard(
      this.spawn(command, (channel) => {
        channel.on('data', (d: Buffer) => {
          const s = outText.write(d);
          stdout += s;
          if (s) opts.onStdout?.(s);
        });
        channel.stderr.on('data', (d: Buffer) => {
          const s = errText.write(d);
          stderr += s;
          if (s) opts.onStderr?.(s);
        });
        channel.on('exit', (c: number | null, sig?: string) => {
          code = c;
          signal = sig;
        });
        channel.on('close', () => {
          if (code === null && signal === undefined && this.closed) {
            return fail(new SshError(`connection to ${this.host.name} was lost while a command was running`));
          }
          finish({ code, signal, stdout, stderr });
        });
        channel.on('error', (err: Error) => fail(this.channelError(err)));
        if (opts.stdin !== undefined) channel.end(opts.stdin);
        else channel.end();
      }),
    );
    return this.guard(done);
  }

  /** exec() that throws RemoteCommandError on a non-zero exit. */
  async run(command: string, what: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(command, opts);
    if (r.code !== 0) {
      const tail = r.stderr.trim().split('\n').slice(-15).join('\n');
      throw new RemoteCommandError(`${what} failed on ${this.host.name} (exit ${r.code ?? r.signal})`, r.code, r.stderr, {
        details: tail || undefined,
      });
    }
    return r;
  }

  sftp(): Promise<SFTPWrapper> {
    this.sftpChannel ??= new Promise((resolve, reject) => {
      this.client.sftp((err, sftp) => (err ? reject(this.channelError(err)) : resolve(sftp)));
    });
    return this.sftpChannel;
  }

  /**
   * Streams a local file, from byte `start`, into `command`'s stdin over an
   * exec channel, and reports the bytes read so far. Faster than SFTP
   * fastPut on the same connection (measured in docs/benchmarks.md): no
   * request/acknowledgement per chunk, and 1 MiB reads keep the channel's
   * window full. Memory stays bounded: the read stream pauses whenever the
   * channel's window is used up. Resolves when the command exits 0.
   */
  async streamFile(
    local: string,
    command: string,
    what: string,
    opts: { start?: number; onSent?: (bytes: number) => void } = {},
  ): Promise<void> {
    let stderr = '';
    let code: number | null = null;
    let signal: string | undefined;
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const file = createReadStream(local, { start: opts.start ?? 0, highWaterMark: 1024 * 1024 });
    file.on('error', (err) => settle.reject(new DeployerError(`cannot read ${local} for ${what}: ${err.message}`, { cause: err })));
    try {
      await this.guard(
        this.spawn(command, (channel) => {
          let sent = 0;
          channel.resume(); // nothing expected on stdout
          channel.stderr.on('data', (d: Buffer) => {
            if (stderr.length < 65536) stderr += d.toString('utf8');
          });
          channel.on('exit', (c: number | null, sig?: string) => {
            code = c;
            signal = sig;
          });
          channel.on('close', () => {
            if (code === 0) return settle.resolve();
            if (code === null && signal === undefined && this.closed)
              return settle.reject(new SshError(`connection to ${this.host.name} was lost during ${what}`));
            const tail = stderr.trim().split('\n').slice(-15).join('\n');
            settle.reject(
              new RemoteCommandError(
                `${what} failed on ${this.host.name} (exit ${code ?? signal ?? 'unknown: the channel closed'})`,
                code,
                stderr,
                { details: tail || undefined },
              ),
            );
          });
          channel.on('error', (err: Error) => settle.reject(this.channelError(err, what)));
          file.on('data', (b) => {
            sent += b.length;
            opts.onSent?.(sent);
          });
          file.on('error', () => channel.close()); // else the remote command would wait for more input
          file.pipe(channel);
        }),
      );
      await this.guard(done);
    } finally {
      file.destroy();
    }
  }

  /** Writes small content (a .env, a unit) through SFTP: never on a command line. */
  async writeFile(remote: string, content: string | Buffer, mode = 0o644): Promise<void> {
    const sftp = await this.guard(this.sftp());
    await this.guard(
      new Promise<void>((resolve, reject) => {
        sftp.writeFile(remote, content, { mode }, (err) => (err ? reject(this.channelError(err, `writing ${remote}`)) : resolve()));
      }),
    );
    // writeFile's mode applies only when the file is created; make it exact.
    await this.guard(
      new Promise<void>((resolve, reject) => {
        sftp.chmod(remote, mode, (err) => (err ? reject(this.channelError(err, `chmod ${remote}`)) : resolve()));
      }),
    );
  }

  async forwardOut(port: number, address = '127.0.0.1'): Promise<Duplex> {
    return this.guard(
      new Promise((resolve, reject) => {
        this.client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => (err ? reject(err) : resolve(stream as unknown as Duplex)));
      }),
    );
  }

  /** An HTTP GET to the app on the host, through a forwarded channel. */
  /**
   * GET on 127.0.0.1:port on the host through the connection. With `tls`,
   * over TLS with the Host name as SNI, as a visitor of an HTTPS site (the
   * certificate is not verified: the check is of the route, not the cert).
   */
  async httpGet(
    port: number,
    path: string,
    opts: { host?: string; timeoutMs?: number; tls?: boolean } = {},
  ): Promise<{ status: number; body: string }> {
    const raw = await this.forwardOut(port);
    const stream = opts.tls ? tlsConnect({ socket: raw, servername: opts.host?.replace(/:\d+$/, ''), rejectUnauthorized: false }) : raw;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          createConnection: () => stream as never,
          path,
          method: 'GET',
          headers: { host: opts.host ?? `127.0.0.1:${port}`, connection: 'close' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body.length < 65536 ? (body += c) : undefined));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      // Our own timer: req.setTimeout would call setTimeout on the ssh2 channel, which has none.
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 5000} ms`)), opts.timeoutMs ?? 5000);
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.closing = true;
    if (!this.closed) this.client.end();
  }

  /**
   * Some ssh2 operations (fastPut, for one) never call back when the
   * connection dies; without this race the process would just run out of
   * work and exit as if it had succeeded.
   */
  guard<T>(op: Promise<T>): Promise<T> {
    return Promise.race([op, this.lost]);
  }

  private channelError(err: Error, what?: string): Error {
    if (this.closed) return new SshError(`connection to ${this.host.name} was lost${what ? ` during ${what}` : ''}`, { cause: err });
    return new SshError(`${what ?? 'SSH channel'} on ${this.host.name}: ${err.message}`, { cause: err });
  }
}
