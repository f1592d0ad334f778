// The one way a script reaches a host: the command `bashReading(script)`
// (src/remote/scriptFiles.ts), the script itself on its stdin. Then stdin closes,
// or stays open for a script that reads more from the client: the probe
// holds the lock until it closes, the switch waits for its verdict.
import { bashReading } from '../remote/scriptFiles.js';
import type { CommandChannel, ExecOptions, SshSession } from './session.js';

export type ScriptChannel = CommandChannel;

export interface SendOptions extends Omit<ExecOptions, 'stdin'> {
  /** Leave stdin open after the script, for the lines it reads later (`write`, `end`). */
  keepStdinOpen?: boolean;
}

/** Starts `script` on a channel of its own; resolves once the channel is open and the script sent. */
export function sendScript(session: SshSession, script: string, opts: SendOptions = {}): Promise<ScriptChannel> {
  return session.open(bashReading(script), { ...opts, stdin: script });
}
