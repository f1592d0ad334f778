// The one way a script reaches a host: the command `bashReading(script)`
// (src/remote/scriptFiles.ts), the script itself on its stdin. Then stdin closes,
// or stays open for a script that reads more from the client: the probe
// holds the lock until it closes, the switch waits for its verdict. A script
// that moves bytes (a backup's archive out, a restore's in) is streamed.
import { Readable } from 'node:stream';
import { bashReading } from '../remote/scriptFiles.js';
import type { CommandChannel, ExecOptions, SshSession } from './session.js';
import { streamCommand, type StreamOptions, type StreamResult } from './streamCommand.js';

export type ScriptChannel = CommandChannel;

export interface SendOptions extends Omit<ExecOptions, 'stdin'> {
  /** Leave stdin open after the script, for the lines it reads later (`write`, `end`). */
  keepStdinOpen?: boolean;
}

/** Starts `script` on a channel of its own; resolves once the channel is open and the script sent. */
export function sendScript(session: SshSession, script: string, opts: SendOptions = {}): Promise<ScriptChannel> {
  return session.open(bashReading(script), { ...opts, stdin: script });
}

export interface StreamScriptOptions extends Omit<StreamOptions, 'stdin' | 'pty' | 'killCommand'> {
  /** Bytes sent on stdin after the script (the script reads them). */
  payload?: AsyncIterable<Buffer>;
  /** Run the script as root: through `sudo -n` unless the SSH user is root. */
  asRoot?: boolean;
}

/** Runs `script` with its output streamed as it comes, `payload` after it on stdin. */
export function streamScript(session: SshSession, script: string, opts: StreamScriptOptions): Promise<StreamResult> {
  async function* input(): AsyncGenerator<Buffer> {
    yield Buffer.from(script, 'utf8');
    if (opts.payload) yield* opts.payload;
  }
  const sudo = opts.asRoot && session.host.user !== 'root' ? 'sudo -n ' : '';
  return streamCommand(session, `${sudo}${bashReading(script)}`, { ...opts, stdin: Readable.from(input()) });
}
