// Runs one remote command with its output streamed as it comes (logs -f,
// exec, shell) rather than collected: the one place that wires an exec
// channel to local streams.
import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import { SshError } from '../errors.js';
import type { SshSession } from '../ssh/session.js';

export interface StreamOptions {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** Piped into the command; without it the command's stdin is closed at once. */
  stdin?: NodeJS.ReadableStream;
  pty?: PseudoTtyOptions;
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
  const channel = await session.spawn(
    command,
    (ch) => {
      ch.on('data', (d: Buffer) => opts.onStdout(d));
      ch.stderr.on('data', (d: Buffer) => opts.onStderr(d));
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
    // sshd passes the signal on (OpenSSH ≥ 7.9); closing the channel ends it either way.
    try {
      channel.signal('INT');
    } catch {
      /* channel already closed */
    }
    channel.close();
  };
  opts.started?.(channel, stop);
  if (opts.stdin) {
    opts.stdin.pipe(channel);
    void done.finally(() => opts.stdin?.unpipe(channel)).catch(() => undefined);
  } else {
    channel.end();
  }
  return done;
}
