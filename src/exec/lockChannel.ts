// The probe's channel (remote/probe.sh): it takes the app's lock, prints the
// remote state, then holds the lock while its stdin stays open. The client
// may send `history LINE` and `create` on it later, answered in order. What
// the state means (refused, locked by someone) is the lock phase's call
// (src/deploy/lockPolicy.ts): this only reads it.
import { RemoteCommandError, SshError } from '../errors.js';
import type { Reporter } from '../output/reporter.js';
import { parseProbeOutput, renderProbeScript, type ProbeArgs } from '../remote/probe.js';
import { Marker, parseMarkers } from '../remote/protocol.js';
import type { RemoteState } from '../remote/state.js';
import { prewarmScripts, sendScript } from '../ssh/sendScript.js';
import type { SshSession } from '../ssh/session.js';
import { lineSplitter } from './markers.js';

export interface Lock {
  /** What the probe found, lockedBy and refused included (the lock phase decides what they mean). */
  state: RemoteState;
  /** Ends the lock channel: the holder shell exits and the kernel drops the flock. */
  release(): void;
  /** Appends one line to the app's history file through the lock channel (no channel of its own). */
  appendHistory(line: string): Promise<void>;
  /** Creates the missing app dir and its identity record (a probe with createLater), through the lock channel. */
  createAppDir(): Promise<void>;
}

type Pending = { resolve: () => void; reject: (e: Error) => void };

/** Runs the probe on `session`; resolves once the state is read (or the probe stopped early: refused, locked). */
export async function openLock(session: SshSession, reporter: Reporter, args: ProbeArgs): Promise<Lock> {
  const host = session.host.name;
  // A deploy (the command that creates) uploads next, and checks first
  // whether a partial file of 8 MiB or more can be resumed (an SFTP stat):
  // the SFTP session (a channel and a server process) opens while the probe runs.
  if (args.create) session.sftp().catch(() => undefined);
  let out = '';
  let err = '';
  let waitReported = false;
  // After @@end: the holder's answers to `history` and `create` lines, in order
  // (@@error, which either may print, goes to whichever is pending: one request at a time).
  let afterEnd = false;
  const appends: Pending[] = [];
  const creates: Pending[] = [];
  const failPending = (why: string) => {
    for (const a of appends.splice(0)) a.reject(new RemoteCommandError(`${host}: recording the deploy failed: ${why}`, 1, err));
    for (const c of creates.splice(0)) c.reject(new RemoteCommandError(`${host}: creating ${args.appDir} failed: ${why}`, 1, err));
  };
  let stateRead!: () => void;
  const read = new Promise<void>((resolve) => (stateRead = resolve));
  const lines = lineSplitter((text) => {
    for (const m of parseMarkers(text)) {
      if (afterEnd && m.marker === Marker.historyAppended) appends.shift()?.resolve();
      else if (afterEnd && m.marker === Marker.owner) creates.shift()?.resolve();
      else if (afterEnd && m.marker === Marker.error) failPending(m.arg);
      if (m.marker === Marker.end) afterEnd = true;
      if (m.marker === Marker.end || m.marker === Marker.locked || m.marker === Marker.error || m.marker === Marker.refused) stateRead();
      if (m.marker === Marker.waiting && !waitReported) {
        waitReported = true;
        const who = Buffer.from(m.arg, 'base64').toString('utf8').trim();
        reporter.info(`waiting up to ${args.lockWaitSec}s for the lock held by ${who || 'another deploy'}`, host);
      }
    }
  });
  const opened = sendScript(session, renderProbeScript(args), {
    // Stdin stays open while the lock is held: its end is what releases it.
    keepStdinOpen: args.lock,
    onStdout: (s) => {
      out += s;
      lines.push(s);
    },
    onStderr: (s) => (err += s),
  });
  // A deploy runs a script per phase next: the channel for the first opens
  // while the probe runs, and each one taken opens the next (SshSession.prewarm).
  if (args.create) prewarmScripts(session);
  const channel = await opened;
  const closed = channel.done.then(
    () => failPending('the lock channel closed'),
    () => failPending('the lock channel closed'),
  );
  await session.guard(Promise.race([read, closed]));
  const state = parseProbeOutput(out);
  const release = () => channel.end();
  // The probe stops early, without @@end, only when it refused or found the lock taken.
  const stoppedEarly = state.refused !== undefined || (args.lock && state.lockedBy !== undefined);
  if (state.error && !stoppedEarly) {
    release();
    throw new RemoteCommandError(`${host}: ${state.error}`, 1, err);
  }
  if (!state.ended && !stoppedEarly) {
    release();
    throw new SshError(`${host}: reading the remote state failed${err ? `: ${err.trim().split('\n').pop()}` : ''}`);
  }
  const appendHistory = (line: string): Promise<void> => {
    if (line.includes('\n')) throw new Error('a history line has no line break');
    const appended = new Promise<void>((resolve, reject) => appends.push({ resolve, reject }));
    channel.write(`history ${line}\n`);
    return session.guard(appended);
  };
  const createAppDir = (): Promise<void> => {
    const created = new Promise<void>((resolve, reject) => creates.push({ resolve, reject }));
    channel.write('create\n');
    return session.guard(created).then(() => {
      state.owner = 'created';
    });
  };
  return { state, release, appendHistory, createAppDir };
}
