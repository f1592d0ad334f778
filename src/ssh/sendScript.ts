// The one way a script reaches a host: the command `bashReading(script)`
// (src/remote/scripts.ts), the script itself on its stdin. Then stdin closes,
// or stays open for a script that reads more from the client: the probe
// holds the lock until it closes, the switch waits for its verdict.
import { StringDecoder } from 'node:string_decoder';
import { bashReading } from '../remote/scripts.js';
import { SshError } from '../errors.js';
import type { ExecResult, SshSession } from './session.js';

export interface SendOptions {
  /** Leave stdin open after the script, for the lines it reads later (`write`, `end`). */
  keepStdinOpen?: boolean;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface ScriptChannel {
  /** Sends more on the script's stdin (kept open). */
  write(text: string): void;
  /** Closes the script's stdin, after `text` if given; a closed channel is fine. */
  end(text?: string): void;
  /** The exit code and whole output once the channel closes; rejects when the connection is lost. */
  readonly done: Promise<ExecResult>;
}

/** Starts `script` on a channel of its own; resolves once the channel is open and the script sent. */
export async function sendScript(session: SshSession, script: string, opts: SendOptions = {}): Promise<ScriptChannel> {
  let stdout = '';
  let stderr = '';
  let code: number | null = null;
  let signal: string | undefined;
  let settle!: { resolve: (r: ExecResult) => void; reject: (e: Error) => void };
  const done = new Promise<ExecResult>((resolve, reject) => (settle = { resolve, reject }));
  // A multi-byte character may straddle two packets: decode per stream, not per chunk.
  const outText = new StringDecoder('utf8');
  const errText = new StringDecoder('utf8');
  const channel = await session.guard(
    // Listeners go on in spawn's callback: ssh2 may report the exit in the same tick.
    session.spawn(bashReading(script), (ch) => {
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
        if (code === null && signal === undefined && session.isClosed) {
          return settle.reject(new SshError(`connection to ${session.host.name} was lost while a command was running`));
        }
        settle.resolve({ code, signal, stdout, stderr });
      });
      ch.on('error', (err: Error) => settle.reject(session.channelError(err)));
      if (opts.keepStdinOpen) ch.write(script);
      else ch.end(script);
    }),
  );
  const guarded = session.guard(done);
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
