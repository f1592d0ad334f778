// Roles (which hosts run which processes, --role) and hosts_command (hosts
// from a command's JSON), read by the config loader and used per host.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/parse.js';
import { loadConfig } from '../../src/config/load.js';
import { configForHost, hostRuns } from '../../src/config/roles.js';
import { selectHosts } from '../../src/deploy/hostSelection.js';
import { buildReleaseFiles } from '../../src/deploy/releaseFiles.js';
import { hostsRunning, journalUnits } from '../../src/app/processUnits.js';
import { Redactor } from '../../src/output/redact.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { planDeploy } from '../../src/plan/planDeploy.js';
import { freshState } from '../helpers/remoteState.js';
import { blueGreenFiles, makeHost, shopBlueGreenConfig, shopSite } from './render-helpers.js';

const home = '/home/tester';
const head = `app = "shop"\ndistfile = "dist/shop.whl"\ninstallation_mode = "python-package"\n`;
const processes = `
[processes]
web = { command = "gunicorn shop.wsgi --bind 127.0.0.1:$PORT", roles = ["web"] }
worker = { command = "shop worker", roles = ["worker"] }
`;
const hosts = `
[[hosts]]
name = "app1"
address = "10.0.0.1"
roles = ["web", "worker"]

[[hosts]]
name = "jobs1"
address = "10.0.0.2"
roles = ["worker"]
`;

function parse(text: string, run?: (command: string, where: string) => unknown, stage?: string) {
  return parseConfig(text, { file: '/p/deployer.toml', root: '/p', displayName: 'deployer.toml', home, runHostsCommand: run, stage });
}

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

test('roles: a host without roles runs every process, a process without roles runs on every host, else they must share one', () => {
  assert.equal(hostRuns({}, { roles: ['worker'] }), true);
  assert.equal(hostRuns({ roles: ['worker'] }, {}), true);
  assert.equal(hostRuns({ roles: ['worker'] }, { roles: ['web'] }), false);
  assert.equal(hostRuns({ roles: ['web', 'worker'] }, { roles: ['web'] }), true);
  const config = parse(head + hosts + processes);
  assert.deepEqual(
    config.hosts.map((h) => h.roles),
    [['web', 'worker'], ['worker']],
  );
  assert.deepEqual(
    config.processes.map((p) => p.roles),
    [['web'], ['worker']],
  );
});

test('the worker-only host sees only the worker: no web process, web server off; the web host sees both', () => {
  const config = parse(head + hosts + processes);
  const [app1, jobs1] = config.hosts;
  assert.equal(configForHost(config, app1), config);
  const view = configForHost(config, jobs1);
  assert.deepEqual(
    view.processes.map((p) => p.name),
    ['worker'],
  );
  assert.equal(view.webserver.enabled, false);
  assert.equal(configForHost(config, jobs1), view, 'the same view for the same host');
});

test('release files per role: the worker-only host gets the worker unit and no web unit or Caddy site', async () => {
  const config = parse(head + hosts + processes);
  const artifact = { path: '/p/dist/shop.whl', name: 'shop.whl', sha256: 'x', size: 1 };
  const files = async (n: number) =>
    (await buildReleaseFiles({ config, host: config.hosts[n], artifact, env: {}, redactor: new Redactor(), entries: [] }))
      .map((f) => f.path)
      .filter((p) => p.startsWith('.deployer/'));
  const web = await files(0);
  assert.ok(web.includes('.deployer/units/shop-worker.service'), web.join(' '));
  assert.ok(
    web.some((p) => p.startsWith('.deployer/units/shop-web')),
    web.join(' '),
  );
  assert.ok(web.includes('.deployer/caddy.site'), web.join(' '));
  const worker = await files(1);
  assert.ok(worker.includes('.deployer/units/shop-worker.service'), worker.join(' '));
  assert.ok(!worker.some((p) => p.startsWith('.deployer/units/shop-web') || p.includes('caddy')), worker.join(' '));
});

test('a process role no host has is an error at its place, with the fix', () => {
  const text = head + hosts + processes.replace('roles = ["worker"] }', 'roles = ["wokrer"] }');
  const msg = problem(() => parse(text));
  assert.match(
    msg,
    /^deployer\.toml:17:\d+: processes\.worker\.roles\[0\] is the role "wokrer", but no host has it \(the hosts' roles are "web", "worker"\)/,
  );
  assert.match(msg, /Fix: add roles = \["wokrer"\] to the hosts that should run worker, or correct the name\./);
});

test('a host whose roles match no process is an error (it would run nothing); a bad role name too', () => {
  const text = head + hosts.replace('roles = ["worker"]', 'roles = ["batch"]') + processes;
  assert.match(
    problem(() => parse(text)),
    /^deployer\.toml:13:\d+: hosts\[1\]\.roles = \["batch"\] matches no process's roles, so host jobs1 would run nothing/,
  );
  const bad = head + hosts.replace('roles = ["worker"]', 'roles = ["Web App"]') + processes;
  assert.match(
    problem(() => parse(bad)),
    /hosts\[1\]\.roles\[0\] is not a role name/,
  );
});

test('--role selects the hosts that have it; with --host, the named hosts that have it; unknown roles are refused', () => {
  const config = parse(head + hosts + processes);
  const names = (h: { name: string }[]) => h.map((x) => x.name);
  assert.deepEqual(names(selectHosts(config, [], ['worker'])), ['app1', 'jobs1']);
  assert.deepEqual(names(selectHosts(config, [], ['web'])), ['app1']);
  assert.deepEqual(names(selectHosts(config, ['jobs1'], ['worker'])), ['jobs1']);
  assert.throws(() => selectHosts(config, ['jobs1'], ['web']), /none of these hosts has that role/);
  assert.throws(
    () => selectHosts(config, [], ['db']),
    (e: ConfigError) => /no host has the role "db"/.test(e.message) && /web, worker/.test(e.hint ?? ''),
  );
  // A host without roles has every role.
  const plain = parse(head + hosts.replace('roles = ["worker"]', '') + processes);
  assert.deepEqual(names(selectHosts(plain, [], ['web'])), ['app1', 'jobs1']);
});

test('app commands ask only the hosts that run the named process, for the units each runs', () => {
  const config = parse(head + hosts + processes);
  assert.deepEqual(
    hostsRunning(config, config.hosts, 'web').map((h) => h.name),
    ['app1'],
  );
  assert.deepEqual(
    hostsRunning(config, config.hosts).map((h) => h.name),
    ['app1', 'jobs1'],
  );
  assert.throws(() => hostsRunning(config, [config.hosts[1]], 'web'), /no selected host runs the process "web"/);
  assert.deepEqual(journalUnits(configForHost(config, config.hosts[1])), ['shop-worker.service']);
});

// ---- hosts_command -------------------------------------------------------

const cmdHead = head + `hosts_command = "terraform output -json web_hosts"\n`;

test('hosts_command: its JSON entries are read like [[hosts]] (defaults, roles), run in the config dir only for the selected config', () => {
  const calls: string[] = [];
  const config = parse(cmdHead + processes, (command, where) => {
    calls.push(`${where} ${command}`);
    return [
      { name: 'app1', address: '10.0.0.1', port: 2222, roles: ['web', 'worker'] },
      { address: '10.0.0.2', roles: ['worker'] },
    ];
  });
  assert.deepEqual(calls, ['deployer.toml:4:17: hosts_command terraform output -json web_hosts']);
  assert.deepEqual(
    config.hosts.map((h) => [h.name, h.port, h.user, h.roles]),
    [
      ['app1', 2222, 'deploy', ['web', 'worker']],
      ['10.0.0.2', 22, 'deploy', ['worker']],
    ],
  );
  // Not run (completion): no hosts, no error.
  assert.deepEqual(parse(cmdHead + processes).hosts, []);
});

test('hosts_command: a bad entry names the command, the index and the key, at hosts_command in the file', () => {
  const run = () => [{ address: '10.0.0.1' }, { address: '10.0.0.2' }, { address: '10.0.0.3', port: 'x' }, { adress: 'y' }];
  const msg = problem(() => parse(cmdHead + processes.replace(/, roles = \[[^\]]*\]/g, ''), run));
  assert.match(
    msg,
    /^deployer\.toml:4:17: hosts_command \(terraform output -json web_hosts\) printed an entry at \[2\] whose port must be an integer from 1 to 65535, got "x"\. Fix: write port = 22\.$/m,
  );
  assert.match(msg, /printed an entry at \[3\]: unknown key "adress" in it\. Did you mean "address"\?/);
  assert.match(
    problem(() => parse(cmdHead + processes, () => ({ hosts: [] }))),
    /must print a JSON array of host tables, got a table/,
  );
  assert.match(
    problem(() => parse(cmdHead + processes, () => [])),
    /got an empty array \(no hosts\)/,
  );
  assert.match(
    problem(() => parse(cmdHead + processes, () => ['10.0.0.1'])),
    /whose entry at \[0\] is "10\.0\.0\.1"/,
  );
});

test('hosts_command and [[hosts]] are exclusive; a stage replaces one with the other', () => {
  assert.match(
    problem(() => parse(cmdHead + hosts + processes, () => [])),
    /hosts_command and \[\[hosts\]\] are both set/,
  );
  const staged = head + hosts + processes + `\n[stages.prod]\nhosts_command = "./hosts.sh prod"\n`;
  const seen: string[] = [];
  const prod = parse(staged, (c) => (seen.push(c), [{ address: '10.9.0.1', roles: ['worker', 'web'] }]), 'prod');
  assert.deepEqual(seen, ['./hosts.sh prod']);
  assert.deepEqual(
    prod.hosts.map((h) => h.address),
    ['10.9.0.1'],
  );
  assert.deepEqual(
    parse(staged).hosts.map((h) => h.name),
    ['app1', 'jobs1'],
    'the base keeps its [[hosts]], and the command is not run',
  );
});

test('loadConfig runs hosts_command with bash in the config dir; a failure shows its exit code and stderr, non-JSON says so without echoing it', () => {
  const dir = tempDir('deployer-hosts-command-');
  writeFileSync(join(dir, 'hosts.json'), JSON.stringify([{ address: '10.0.0.7', roles: ['web', 'worker'] }]));
  const write = (command: string) =>
    writeFileSync(join(dir, 'deployer.toml'), head + `hosts_command = ${JSON.stringify(command)}\n` + processes);
  write('cat hosts.json');
  assert.deepEqual(
    loadConfig({ cwd: dir, home }).hosts.map((h) => h.address),
    ['10.0.0.7'],
  );
  write('echo "token expired" >&2; exit 3');
  assert.throws(
    () => loadConfig({ cwd: dir, home }),
    (e: ConfigError) =>
      e.exitCode === 2 &&
      /^deployer\.toml:4:17: hosts_command \(echo "token expired" >&2; exit 3\) failed with exit code 3$/.test(e.message) &&
      e.details === 'token expired',
  );
  writeFileSync(join(dir, 'secret.txt'), 'SECRET=hunter2 not json');
  write('cat secret.txt');
  assert.throws(
    () => loadConfig({ cwd: dir, home }),
    (e: ConfigError) =>
      /printed text that is not JSON/.test(e.message) && !e.message.includes('hunter2') && /JSON array/.test(e.hint ?? ''),
  );
  // Completion's loads leave it unrun.
  assert.deepEqual(loadConfig({ cwd: dir, home, runHostsCommand: false }).hosts, []);
});

test('web taken off a host: its site goes and Caddy reloads first, then its web units stop and go; the worker stays', () => {
  const web = '[Service]\nWorkingDirectory=/srv/deployer/shop/.web/%i\n';
  const worker = '[Service]\nworker\n';
  const full = shopBlueGreenConfig(7);
  const host = makeHost({ roles: ['worker'] });
  const config = { ...full, processes: full.processes.map((p) => ({ ...p, roles: [p.name === 'web' ? 'web' : 'worker'] })) };
  const artifact = { path: 'app.whl', local: '/tmp/app.whl', sha256: 'a'.repeat(64), size: 10, mode: 0o644, label: 'artifact' };
  const files = blueGreenFiles(artifact, { web, worker }).filter((f) => !/caddy|web/.test(f.path));
  const units = { 'shop-web@.service': web, 'shop-worker.service': worker };
  const state = freshState({
    current: '1.0.0',
    releases: ['1.0.0'],
    liveSlot: 'b',
    versions: [{ version: '1.0.0', status: 'good', time: 't', sha: 's', by: 'me' }],
    units,
    caddySite: shopSite('127.0.0.1:8001'),
    releaseSwitch: { '1.0.0': { units, caddySite: shopSite('127.0.0.1:8001'), instances: 'restart shop-worker.service\n' } },
  });
  const who = { time: 't', by: 'me', action: 'deploy' } as const;
  const plan = planDeploy({ config: configForHost(config, host), host, state, files, artifact: 'app.whl', version: '1.1.0', ...who });
  const steps = plan.switch.steps.map((s) => (s.kind === 'remove-unit' ? `remove-unit ${s.name}` : s.kind));
  assert.deepEqual(steps.slice(0, 4), ['remove-site', 'reload-caddy', 'remove-unit shop-web@.service', 'daemon-reload']);
  assert.ok(!steps.includes('remove-unit shop-worker.service'));
  const site = plan.switch.steps.find((s) => s.kind === 'remove-site');
  assert.deepEqual(site, { kind: 'remove-site', site: '/etc/caddy/sites/shop.caddy' });
});
