// `deployer app cat env|units|caddy`: what is installed on each host. Units
// and the Caddy site come with the state read on connect (the probe already
// lists unit files carrying the app's marker); only `env` needs a command.
// The .env is shown with every value redacted unless --show-secrets; even
// then nothing is registered with the redactor: the user asked to see it.
import type { Context } from '../context.js';
import { DeployerError, ExitCode, RemoteCommandError } from '../errors.js';
import type { HostHandle } from '../deploy/connect.js';
import { forEachHost } from '../deploy/hostRun.js';
import { selectHosts } from '../deploy/hostSelection.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { layoutFor } from '../plan/layout.js';
import { Marker, parseMarker } from '../remote/protocol.js';
import { scriptWithArgs } from '../remote/scriptFiles.js';
import { redactEnvText } from './envView.js';
import { hostHeader, type AppIO } from './io.js';

export type CatWhat = 'env' | 'units' | 'caddy';
export const CAT_CHOICES: readonly CatWhat[] = ['env', 'units', 'caddy'];

/** Several files become one text, each under a `# path` line. */
export function joinFiles(files: Array<{ path: string; text: string }>): string {
  return files.map((f) => `# ${f.path}\n${f.text.endsWith('\n') ? f.text : f.text + '\n'}`).join('\n');
}

export async function runCat(ctx: Context, io: AppIO, what: CatWhat, opts: { showSecrets: boolean }): Promise<void> {
  const config = loadCommandConfig(ctx);
  const L = layoutFor(config);
  const missing = (h: HostHandle, thing: string) =>
    new DeployerError(`${h.host.name}: ${config.appName} has no ${thing} installed`, {
      exitCode: ExitCode.remote,
      hint: 'run `deployer deploy` first (or check --stage)',
    });
  const texts = await forEachHost(ctx, config, { lock: false, command: `app cat ${what}` }, async (h) => {
    if (what === 'units') {
      const names = Object.keys(h.state.units).sort();
      if (names.length === 0) throw missing(h, 'systemd units');
      return joinFiles(names.map((n) => ({ path: `${L.unitDir}/${n}`, text: h.state.units[n] })));
    }
    if (what === 'caddy') {
      if (h.state.caddySite === undefined) throw missing(h, 'Caddy site');
      return h.state.caddySite;
    }
    const file = `${L.appDir}/.env`;
    const script = scriptWithArgs([file], 'app-cat.sh');
    const r = await h.session.execScript(script);
    if (parseMarker(r.stdout.trim())?.marker === Marker.missing) throw missing(h, `.env (${file})`);
    if (r.code !== 0) throw new RemoteCommandError(`${h.host.name}: cannot read ${file}`, r.code, r.stderr);
    return opts.showSecrets ? r.stdout : redactEnvText(r.stdout);
  });
  const hosts = selectHosts(config, ctx.global.host, ctx.global.role);
  if (ctx.reporter.json) {
    ctx.reporter.emit({
      type: 'result',
      command: `app cat ${what}`,
      ok: true,
      data: { app: config.appName, hosts: hosts.map((h, i) => ({ host: h.name, text: texts[i] })) },
    });
    return;
  }
  // Straight to stdout, not through the reporter: the output is a file the
  // user may redirect (`app cat env --show-secrets > backup.env`).
  io.stdout.write(texts.map((t, i) => hostHeader(hosts[i].name, hosts.length) + t).join(hosts.length > 1 ? '\n' : ''));
}
