// Runs one remote command with its output streamed as it comes (logs -f,
// exec, shell) rather than collected: the one place that wires an exec
// channel to local streams.
import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import { SshError } from '../errors.js';
import type { SshSession } from './session.js';
import { Marker, parseMarker } from '../remote/protocol.js';

export interface StreamOptions {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** Piped into the command; without it the command's stdin is closed at once. */
  stdin?: NodeJS.ReadableStream;
  pty?: PseudoTtyOptions;
  /**
   * The command was started by remote/exec.sh or remote/app-env.sh, which
   * print `@@deployer-pgid N` as the first line of stderr (taken out here);
   * stop() then runs this command line, on a second channel, to signal it
   * (sshd ignores the SSH "signal" request). KILL follows INT after 3 s.
   */
  killCommand?(pid: number, signal: 'INT' | 'KILL'): string;
  /** Awaited after the channel opened, before started() (a pause point for fault tests). */
  beforeStarted?(): Promise<void>;
  /** Gets the open channel (window-size changes) and a function that ends the command early. */
  started?(channel: ClientChannel, stop: () => void): void;
}

export interface StreamResult {
  code: number | null;
  signal?: string;
  /** True when stop() ended it (Ctrl-C on `logs -f`). */
  stopped: boolean;
}

export async function streamCommand(session: SshSession, command: string, opts: StreamOptions): Promise<StreamResult> {
  let code: number | null = null;
  let signal: string | undefined;
  let stopped = false;
  let settle!: { resolve: (r: StreamResult) => void; reject: (e: Error) => void };
  const done = new Promise<StreamResult>((resolve, reject) => (settle = { resolve, reject }));
  let pidKnown!: (pid: number | undefined) => void;
  const pid = new Promise<number | undefined>((resolve) => (pidKnown = resolve));
  const onStderr = opts.killCommand ? pidMarkerFilter(opts.onStderr, pidKnown) : opts.onStderr;
  void done.finally(() => pidKnown(undefined)).catch(() => undefined);
  const channel = await session.spawn(
    command,
    (ch) => {
      ch.on('data', (d: Buffer) => opts.onStdout(d));
      ch.stderr.on('data', (d: Buffer) => onStderr(d));
      ch.on('exit', (c: number | null, sig?: string) => {
        code = c;
        signal = sig ?? undefined;
      });
      ch.on('close', () => {
        if (code === null && signal === undefined && !stopped) {
          settle.reject(new SshError(`connection to ${session.host.name} was lost while the command was running`));
        } else {
          settle.resolve({ code, signal, stopped });
        }
      });
      ch.on('error', (e: Error) => settle.reject(new SshError(`${session.host.name}: ${e.message}`, { cause: e })));
    },
    { pty: opts.pty },
  );
  const stop = () => {
    if (stopped) return;
    stopped = true;
    // The SSH "signal" request, for servers that act on it (OpenSSH's sshd
    // does not); closing the channel ends commands that write or read.
    try {
      channel.signal('INT');
    } catch {
      /* channel already closed */
    }
    const kill = opts.killCommand;
    if (kill) {
      // A command that neither writes nor reads (`sleep`) would outlive the
      // channel: signal its process group by PID, as soon as the PID is known.
      const send = (sig: 'INT' | 'KILL') =>
        pid.then((p) => (p === undefined ? undefined : session.exec(kill(p, sig)))).catch(() => undefined);
      void send('INT');
      const later = setTimeout(() => void send('KILL'), 3000);
      void done.finally(() => clearTimeout(later)).catch(() => undefined);
    }
    channel.close();
  };
  if (opts.beforeStarted) await opts.beforeStarted();
  opts.started?.(channel, stop);
  if (opts.stdin) {
    opts.stdin.pipe(channel);
    void done.finally(() => opts.stdin?.unpipe(channel)).catch(() => undefined);
  } else {
    channel.end();
  }
  return done;
}

/**
 * Passes stderr on, minus a first line `@@deployer-pgid N`, whose N goes to
 * `found` (undefined when the first line is something else).
 */
export function pidMarkerFilter(onStderr: (chunk: Buffer) => void, found: (pid: number | undefined) => void): (chunk: Buffer) => void {
  let head: Buffer | undefined = Buffer.alloc(0);
  return (chunk) => {
    if (head === undefined) return onStderr(chunk);
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl === -1 && head.length < 64) return;
    const line = head.subarray(0, nl === -1 ? head.length : nl).toString('utf8');
    const marker = parseMarker(line);
    const m = marker?.marker === Marker.pgid && /^\d+$/.test(marker.arg) ? marker : undefined;
    const rest = m ? head.subarray(nl + 1) : head;
    head = undefined;
    found(m ? Number(m.arg) : undefined);
    if (rest.length > 0) onStderr(rest);
  };
}
