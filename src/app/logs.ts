// `deployer app logs [PROCESS] [-f] [-n N] [--since WHEN]`: journalctl on each
// host. Without -f every host's lines are collected and printed grouped by
// host; with -f they stream (prefixed with the host when there are several)
// until Ctrl-C, which ends the remote journalctl and exits 0. Read-only: no lock.
import type { Context } from '../context.js';
import { RemoteCommandError } from '../errors.js';
import { forEachHost } from '../deploy/hostRun.js';
import { selectHosts } from '../deploy/hostSelection.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { hostHeader, type AppIO } from './io.js';
import { hostsRunning, journalUnits } from './processUnits.js';
import { configForHost } from '../config/roles.js';
import { logsCommandLine } from './appScripts.js';
import { streamCommand } from '../ssh/streamCommand.js';

export interface LogsOptions {
  process?: string;
  follow: boolean;
  lines?: number;
  since?: string;
}

export async function runLogs(ctx: Context, io: AppIO, opts: LogsOptions): Promise<void> {
  const config = loadCommandConfig(ctx);
  const hosts = hostsRunning(config, selectHosts(config, ctx.global.host, ctx.global.role), opts.process);
  const hostCount = hosts.length;
  const stops = new Set<() => void>();
  let interrupted = false;
  const removeHandler = io.onInterrupt(() => {
    interrupted = true;
    for (const stop of stops) stop();
  });
  try {
    const outputs = await forEachHost(
      ctx,
      config,
      { lock: false, command: 'app logs' },
      async (h) => {
        if (interrupted) return '';
        // The units this host runs (its roles).
        const units = journalUnits(configForHost(config, h.host), opts.process);
        const command = logsCommandLine({ units, sshUser: h.host.user, follow: opts.follow, lines: opts.lines, since: opts.since });
        const prefix = opts.follow && hostCount > 1 ? `[${h.host.name}] ` : '';
        const out = opts.follow ? lineWriter(io.stdout, prefix) : collector();
        const err = lineWriter(io.stderr, prefix || `[${h.host.name}] `);
        const r = await streamCommand(h.session, command, {
          onStdout: (d) => out.write(d),
          onStderr: (d) => err.write(d),
          started: (_channel, stop) => {
            stops.add(stop);
            if (interrupted) stop();
          },
        });
        out.flush();
        err.flush();
        if (!r.stopped && r.code !== 0) {
          throw new RemoteCommandError(`${h.host.name}: journalctl failed (exit ${r.code ?? r.signal})`, r.code, '', {
            hint: 'the SSH user needs passwordless sudo (or membership of systemd-journal) to read the journal',
          });
        }
        return out.text();
      },
      hosts,
    );
    if (!opts.follow) {
      io.stdout.write(outputs.map((text, i) => hostHeader(hosts[i].name, hostCount) + text).join(hostCount > 1 ? '\n' : ''));
    }
  } finally {
    removeHandler();
  }
}

/** Writes whole lines, each with the prefix; keeps a partial line until it ends. */
function lineWriter(stream: NodeJS.WritableStream, prefix: string) {
  let partial = '';
  return {
    write(d: Buffer) {
      if (!prefix) return void stream.write(d);
      const text = partial + d.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      if (cut > 0) stream.write(text.slice(0, cut).replace(/^(?=.)/gm, prefix));
      partial = text.slice(cut);
    },
    flush() {
      if (partial) stream.write(`${prefix}${partial}\n`);
      partial = '';
    },
    text: () => '',
  };
}

function collector() {
  const chunks: Buffer[] = [];
  return {
    write: (d: Buffer) => void chunks.push(d),
    flush: () => undefined,
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}
