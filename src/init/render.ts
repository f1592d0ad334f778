// The deployer.toml that `deployer init` writes: the answers as live keys,
// everything else as commented-out defaults, so the file doubles as a short
// reference. Pure; the output must load with loadConfig() (tested).
import { defaultDomain, type InitAnswers } from './answers.js';
import { DEFAULTS } from '../config/schema.js';

export function renderInitConfig(a: InitAnswers): string {
  const out: string[] = [
    '# deployer.toml, written by `deployer init`. Check it with `deployer config`,',
    '# then run `deployer deploy`. Lines starting with # are defaults or examples.',
    '',
    '# Names the app directory, the systemd units and the Caddy site.',
    `app = ${str(a.app)}`,
    '# "python-package": a wheel installed into a virtualenv; "binary": one executable.',
    `installation_mode = ${str(a.mode)}`,
    '# Runs on this machine before each deploy and must produce `distfile`.',
    a.buildCommand ? `build_command = ${str(a.buildCommand)}` : '# build_command = "make dist"',
    '# The artifact to upload; {version} is replaced by the version being deployed.',
    `distfile = ${str(a.distfile)}`,
    '# The version: taken from pyproject.toml [project].version, else `git describe`.',
    '# version = "1.0.0"',
    '# Runs in the new release before it goes live (database migrations); it may',
    '# write into the release (collected statics), which is read-only once live.',
    `# release_command = ${str(`${a.app} migrate`)}`,
    ...(a.mode === 'python-package'
      ? ['# Django: release_command = "python -m django migrate --noinput && python -m django collectstatic --noinput"']
      : []),
    `# versions_to_keep = ${DEFAULTS.versionsToKeep}`,
    `# apps_dir = ${str(DEFAULTS.appsDir)}`,
    '',
    '# One [[hosts]] table per server. `name` is what --host selects (default: the address).',
  ];
  a.hosts.forEach((address, i) => {
    out.push('[[hosts]]', `address = ${str(address)}`, `user = ${str(a.user)}`);
    if (a.port !== undefined) out.push(`port = ${a.port}`);
    else if (i === 0) out.push(`# port = ${DEFAULTS.port}`);
    if (a.keyFile !== undefined) out.push(`key_file = ${str(a.keyFile)}`);
    else if (i === 0) out.push('# key_file = "~/.ssh/id_ed25519"');
    if (i === 0) out.push(`# name = "web1"`);
    out.push('');
  });
  out.push('# What runs on the hosts: name = "command", or name = { command = "…", replicas = 2 }.', '[processes]');
  if (a.web) out.push(`web = ${str(a.web)}`);
  for (const w of a.workers) out.push(`${key(w.name)} = ${str(w.command)}`);
  out.push('');
  if (a.web) {
    out.push(
      '# Caddy serves these domains over HTTPS and proxies to the web process,',
      '# which listens on 127.0.0.1:$PORT: deployer sets PORT for each instance.',
      '# A deploy starts the new release beside the old one (blue-green), so the',
      '# instances take the ports from `upstream` up (8000 and 8001 here); another',
      '# app or stage on the same host needs another range, e.g. "127.0.0.1:8010".',
      '[webserver]',
    );
    if (a.domains.length) {
      out.push(`domains = [${a.domains.map(str).join(', ')}]`);
    } else {
      out.push(
        '# No domain was given: the site answers only to this name, so it cannot take',
        '# the requests of another app on the same host (a catch-all ":80" site would,',
        "# and the second app's site would then fail `caddy validate`). Try it with",
        `# curl -H 'Host: ${a.app}.localhost' http://<host>/ ; put your domain here to`,
        '# get HTTPS: domains = ["example.com"]',
        `domains = [${str(defaultDomain(a.app))}]`,
      );
    }
    out.push(`upstream = ${str(DEFAULTS.upstream)}`, '');
    out.push(
      '# Checked after each restart; when it fails the previous release comes back.',
      '[health_check]',
      '# path = "/healthz"',
      `# status = ${DEFAULTS.healthStatus}`,
      `# timeout = ${DEFAULTS.healthTimeout}`,
      '',
      '# Directories Caddy serves itself, relative to the live release, which is',
      '# the working directory of release_command and of the processes (Django:',
      '# STATIC_ROOT = Path.cwd() / "static", filled by collectstatic). Uploads and',
      '# databases belong in $DEPLOYER_DATA_DIR, which outlives releases.',
      '# [webserver.statics]',
      '# "/static" = "static"',
      '',
    );
  } else {
    out.push('# No web process, so no Caddy site.', '[webserver]', 'enabled = false', '');
  }
  out.push(
    '# Stages are overlays on everything above, chosen with --stage:',
    '# [stages.staging]',
    '# hosts = [{ address = "203.0.113.20" }]',
  );
  return out.join('\n') + '\n';
}

/** A TOML basic string. JSON's escapes are TOML's, except that DEL must be escaped too. */
function str(s: string): string {
  return JSON.stringify(s).replace(/\x7f/g, '\\u007F');
}

function key(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : str(k);
}
