// The one way a script reaches a host: the command SCRIPT_READER
// (src/remote/scriptFiles.ts), the framed script on its stdin. Then stdin
// closes, or stays open for a script that reads more from the client: the
// probe holds the lock until it closes, the switch waits for its verdict. A
// script that moves bytes (uploads in, a backup's archive out, a restore's
// in) gets them after itself on stdin. The command is the same for every
// script, so a channel opened ahead (SshSession.prewarm) can take any of them.
import { Readable } from 'node:stream';
import { framedScript, SCRIPT_READER } from '../remote/scriptFiles.js';
import type { CommandChannel, ExecOptions, SshSession } from './session.js';
import { streamCommand, type StreamOptions, type StreamResult } from './streamCommand.js';

export type ScriptChannel = CommandChannel;

export interface SendOptions extends Omit<ExecOptions, 'stdin'> {
  /** Leave stdin open after the script, for the lines it reads later (`write`, `end`). */
  keepStdinOpen?: boolean;
  /** Bytes sent on stdin after the script (the script reads them); stdin closes after them. */
  payload?: AsyncIterable<Buffer>;
}

/** The script framed for SCRIPT_READER, then `payload`. */
async function* withPayload(script: string, payload?: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield Buffer.from(framedScript(script), 'utf8');
  if (payload) yield* payload;
}

/** Starts `script` on a channel of its own (or the one opened ahead); resolves once the channel is open and the script sent. */
export function sendScript(session: SshSession, script: string, opts: SendOptions = {}): Promise<ScriptChannel> {
  const { payload, ...rest } = opts;
  const stdin = payload ? Readable.from(withPayload(script, payload)) : framedScript(script);
  return session.open(SCRIPT_READER, { ...rest, stdin });
}

/** Opens a channel for the next script ahead of need (SshSession.prewarm). */
export function prewarmScripts(session: SshSession): void {
  session.prewarm(SCRIPT_READER);
}

export interface StreamScriptOptions extends Omit<StreamOptions, 'stdin' | 'pty' | 'killCommand'> {
  /** Bytes sent on stdin after the script (the script reads them). */
  payload?: AsyncIterable<Buffer>;
  /** Run the script as root: through `sudo -n` unless the SSH user is root. */
  asRoot?: boolean;
}

/** Runs `script` with its output streamed as it comes, `payload` after it on stdin. */
export function streamScript(session: SshSession, script: string, opts: StreamScriptOptions): Promise<StreamResult> {
  const sudo = opts.asRoot && session.host.user !== 'root' ? 'sudo -n ' : '';
  return streamCommand(session, `${sudo}${SCRIPT_READER}`, { ...opts, stdin: Readable.from(withPayload(script, opts.payload)) });
}
