// One SSH connection per host for a whole command (opened by
// src/ssh/openClient.ts). Every channel goes through spawn() (counted, so
// benchmarks and tests can see round trips), and may have been opened ahead
// (prewarm); scripts go through sendScript (src/ssh/sendScript.ts), uploads
// too, as a script's payload; HTTP health checks go through a forwarded
// channel, so the host needs no curl.
import { connect as tlsConnect } from 'node:tls';
import { request } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import type { ClientChannel, SFTPWrapper, Client, PseudoTtyOptions } from 'ssh2';
import type { HostConfig } from '../config/types.js';
import { DeployerError, SshError, RemoteCommandError } from '../errors.js';
import { openRoute, type ConnectOptions } from './openClient.js';
import { sendScript } from './sendScript.js';

export type { ConnectOptions };

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Sent on the command's stdin; a stream is piped (and its error ends the channel and the command's promise). */
  stdin?: string | Buffer | NodeJS.ReadableStream;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

/** A command's channel whose stdin may stay open after what was sent first. */
export interface CommandChannel {
  /** Sends more on the command's stdin (kept open). */
  write(text: string): void;
  /** Closes the command's stdin, after `text` if given; a closed channel is fine. */
  end(text?: string): void;
  /** The exit code and whole output once the channel closes; rejects when the connection is lost. */
  readonly done: Promise<ExecResult>;
}

/** A channel opened ahead for `command` (SshSession.prewarm). */
interface Spare {
  command: string;
  channel: Promise<ClientChannel | undefined>;
  /** Set once open, so close() can end it at once. */
  open?: ClientChannel;
  /** It closed or exited before anyone took it: not usable. */
  dead: boolean;
}

export class SshSession {
  /** Number of commands run (exec channels used, opened ahead or not): the round trips a command made. */
  execCount = 0;
  private sftpChannel?: Promise<SFTPWrapper>;
  private spare?: Spare;
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
    const { route, client, hops } = await openRoute(host, opts);
    return new SshSession(route, client, hops);
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
    const spare = opts.pty ? undefined : await this.takeSpare(command);
    if (spare) {
      attach?.(spare);
      return spare;
    }
    return new Promise((resolve, reject) => {
      // A pty only when asked (`app shell`): without one, stdout and stderr stay apart.
      this.client.exec(command, opts.pty ? { pty: opts.pty } : {}, (err, channel) => {
        if (err) return reject(this.channelError(err));
        attach?.(channel);
        resolve(channel);
      });
    });
  }

  /**
   * Opens a channel running `command` ahead of need, for the next spawn of
   * that same command to take: its channel open and exec request, two round
   * trips, then overlap whatever runs meanwhile rather than add to it. Each
   * one taken opens the next, so a command that prewarmed once (a deploy:
   * src/exec/lockChannel.ts) finds one open for each later script. The last
   * is never used: its command (SCRIPT_READER) runs nothing and exits when its
   * stdin closes, at close() or when the connection ends. Not counted in
   * execCount until taken.
   */
  prewarm(command: string): void {
    if (this.spare || this.closed || this.closing) return;
    let settle!: (ch: ClientChannel | undefined) => void;
    const spare: Spare = { command, dead: false, channel: new Promise((resolve) => (settle = resolve)) };
    this.spare = spare;
    try {
      this.client.exec(command, (err, ch) => {
        if (err) {
          spare.dead = true;
          return settle(undefined);
        }
        spare.open = ch;
        // Nothing is read from it until it is taken: what it printed waits in the stream's buffer.
        ch.on('exit', () => (spare.dead = true));
        ch.on('close', () => (spare.dead = true));
        ch.on('error', () => (spare.dead = true));
        settle(ch);
      });
    } catch {
      spare.dead = true;
      settle(undefined);
    }
  }

  /** The channel opened ahead for `command`, if one is (or is being) opened and still usable; opens the next. */
  private async takeSpare(command: string): Promise<ClientChannel | undefined> {
    const spare = this.spare;
    if (!spare || spare.command !== command) return undefined;
    this.spare = undefined;
    this.prewarm(command);
    const channel = await spare.channel;
    return channel && !spare.dead ? channel : undefined;
  }

  /** Runs a script to its end (sendScript, stdin closed after it) and collects its output. */
  async execScript(script: string, opts: Omit<ExecOptions, 'stdin'> = {}): Promise<ExecResult> {
    return (await sendScript(this, script, opts)).done;
  }

  /** Runs one command and collects its output. */
  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return (await this.open(command, opts)).done;
  }

  /**
   * Runs `command` on a channel of its own, `stdin` sent to it; then its stdin
   * closes, unless `keepStdinOpen` (the lock holder, the switch waiting for
   * its verdict), and the caller writes or ends it later.
   */
  async open(command: string, opts: ExecOptions & { keepStdinOpen?: boolean } = {}): Promise<CommandChannel> {
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    let signal: string | undefined;
    let settle!: { resolve: (r: ExecResult) => void; reject: (e: Error) => void };
    const done = new Promise<ExecResult>((resolve, reject) => (settle = { resolve, reject }));
    // A multi-byte character may straddle two packets: decode per stream, not per chunk.
    const outText = new StringDecoder('utf8');
    const errText = new StringDecoder('utf8');
    const channel = await this.guard(
      this.spawn(command, (ch) => {
        ch.on('data', (d: Buffer) => {
          const s = outText.write(d);
          stdout += s;
          if (s) opts.onStdout?.(s);
        });
        ch.stderr.on('data', (d: Buffer) => {
          const s = errText.write(d);
          stderr += s;
          if (s) opts.onStderr?.(s);
        });
        ch.on('exit', (c: number | null, sig?: string) => {
          code = c;
          signal = sig;
        });
        ch.on('close', () => {
          if (code === null && signal === undefined && this.closed) {
            return settle.reject(new SshError(`connection to ${this.host.name} was lost while a command was running`));
          }
          settle.resolve({ code, signal, stdout, stderr });
        });
        ch.on('error', (err: Error) => settle.reject(this.channelError(err)));
        const input = opts.stdin;
        if (input !== undefined && typeof input !== 'string' && !Buffer.isBuffer(input)) {
          input.on('error', (err: Error) => {
            settle.reject(err);
            ch.close(); // else the remote command would wait for more input
          });
          input.pipe(ch, { end: !opts.keepStdinOpen });
        } else if (opts.keepStdinOpen) {
          if (input !== undefined) ch.write(input);
        } else if (input !== undefined) ch.end(input);
        else ch.end();
      }),
    );
    const guarded = this.guard(done);
    guarded.catch(() => undefined);
    return {
      write: (text) => channel.write(text),
      end: (text) => {
        try {
          if (text === undefined) channel.end();
          else channel.end(text);
        } catch {
          /* already closed */
        }
      },
      done: guarded,
    };
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
          // X-Deployer-Check: deployer's own checks pass maintenance mode (templates/caddy.site.hbs).
          headers: { host: opts.host ?? `127.0.0.1:${port}`, connection: 'close', 'x-deployer-check': '1' },
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
    try {
      this.spare?.open?.end(); // its command exits, having run nothing
    } catch {
      /* already closed */
    }
    this.spare = undefined;
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

  /** An SshError for a failed channel: "connection lost" when it was the connection that went. */
  channelError(err: Error, what?: string): Error {
    if (this.closed) return new SshError(`connection to ${this.host.name} was lost${what ? ` during ${what}` : ''}`, { cause: err });
    return new SshError(`${what ?? 'SSH channel'} on ${this.host.name}: ${err.message}`, { cause: err });
  }
}
