// Ctrl-C during a deploy: say what was interrupted and where each host is
// left, then stop with exit code 130. The hosts need no help from us: the
// lock dies with the connection, a prepare script finishes on its own (it
// ignores SIGHUP), a switch without a verdict reverts, and a partial upload
// stays in the release's .incoming dir for the next deploy to resume.
import type { DeployerEvent } from '../output/events.js';
import { UserAbort } from '../errors.js';

type Stage = 'build' | 'connect' | 'upload' | 'prepare' | 'switch' | 'decide' | 'after';

/** Where the deploy was, from the phase events it had emitted. */
function stageOf(events: readonly DeployerEvent[]): Stage {
  const done = new Set(events.flatMap((e) => (e.type === 'phase' && !e.host && e.status !== 'start' ? [e.phase] : [])));
  if (done.has('rollback') || done.has('commit')) return 'after';
  if (done.has('verify')) return 'decide';
  if (done.has('prepare')) return 'switch';
  if (done.has('upload')) return 'prepare';
  if (done.has('lock')) return 'upload';
  if (done.has('build')) return 'connect';
  return 'build';
}

const WHILE: Record<Stage, string> = {
  build: 'the local build',
  connect: 'connecting and locking',
  upload: 'the upload',
  prepare: 'preparing the release on the hosts',
  switch: 'the switch',
  decide: 'the verdict after the health checks',
  after: 'the post-deploy steps',
};

export function describeInterruption(events: readonly DeployerEvent[], hosts: readonly string[], version: string): UserAbort {
  const stage = stageOf(events);
  const lines = hosts.map((h) => `${h}: ${hostState(stage, events, h, version)}`);
  const summary =
    stage === 'build' || stage === 'connect'
      ? 'nothing was changed on any host'
      : stage === 'upload' || stage === 'prepare'
        ? 'nothing was switched: every host keeps serving its live release'
        : stage === 'after'
          ? `${version} had been committed or rolled back on every host`
          : 'hosts without a verdict revert to their previous release';
  return new UserAbort(`interrupted (Ctrl-C) during ${WHILE[stage]}; ${summary}`, {
    details: lines.join('\n'),
    hint:
      stage === 'upload'
        ? `deploy ${version} again to finish: what is already on the hosts is not sent again`
        : '`deployer history` shows what each host recorded',
  });
}

function hostState(stage: Stage, events: readonly DeployerEvent[], host: string, version: string): string {
  switch (stage) {
    case 'build':
    case 'connect':
      return 'untouched';
    case 'upload': {
      const partial = new Map<string, { bytes: number; total: number }>();
      for (const e of events) if (e.type === 'upload' && e.host === host) partial.set(e.file, { bytes: e.bytes, total: e.total });
      const cut = [...partial].filter(([, p]) => p.bytes < p.total);
      if (cut.length === 0) return `nothing switched; uploads ${partial.size ? 'done' : 'not started'}`;
      const [file, p] = cut[0];
      return `nothing switched; ${file} was ${Math.floor((p.bytes / Math.max(p.total, 1)) * 100)}% sent, kept on the host so the next deploy of ${version} sends only the rest`;
    }
    case 'prepare':
      return `nothing switched; the host finishes preparing ${version} on its own, the live release keeps serving`;
    case 'switch':
      return 'reverting to the previous release (the switch got no verdict)';
    case 'decide':
      return 'committing or reverting, as the verdict sent (if any) says; no verdict means revert';
    case 'after':
      return 'done on the host';
  }
}

/**
 * Rejects with the interruption's UserAbort on the first SIGINT; a second
 * one exits at once. dispose() removes the handler.
 */
export function watchInterrupt(
  proc: Pick<NodeJS.Process, 'on' | 'off' | 'exit'>,
  describe: () => UserAbort,
): { interrupted: Promise<never>; dispose(): void } {
  let fire!: (e: Error) => void;
  const interrupted = new Promise<never>((_, reject) => (fire = reject));
  interrupted.catch(() => undefined);
  let count = 0;
  const handler = () => {
    if (++count > 1) proc.exit(130);
    fire(describe());
  };
  proc.on('SIGINT', handler);
  return { interrupted, dispose: () => void proc.off('SIGINT', handler) };
}
