// The completion logic against a small commander program shaped like the real
// one (the real commands are written elsewhere), plus the TOML value reader
// and the per-shell output format.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, Command, Option } from 'commander';
import { completeWords, type ValueRequest } from '../../src/completion/complete.js';
import { createValueReader, listValues } from '../../src/completion/values.js';
import { answerCompletion, joinBashWords, runCompletion } from '../../src/completion/answer.js';
import { buildProgram } from '../../src/program.js';
import { tempDir } from '../helpers/tmp.js';

function buildFakeProgram(): Command {
  const p = new Command('deployer')
    .option('-c, --config <file>', 'config file', 'deployer.toml')
    .option('-s, --stage <name>', 'stage')
    .option('-H, --host <name>', 'only this host', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-r, --role <name>', 'only hosts with this role', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-v, --verbose', 'more output')
    .option('-y, --yes', 'yes');
  p.command('deploy').description('build and deploy\nsecond line').option('--dry-run', 'plan only').option('--lock-wait <seconds>', 'wait');
  p.command('rollback').alias('rb').description('go back');
  const app = p.command('app').description('manage the app');
  app.command('logs').argument('[process]').option('-f, --follow', 'follow');
  app.command('start').argument('<process...>');
  app.command('restart').argument('[name]');
  app.command('exec').argument('<command...>');
  p.command('init').addOption(new Option('--mode <mode>', 'mode').choices(['python-package', 'binary']));
  p.command('completion').addArgument(new Argument('[shell]').choices(['bash', 'zsh', 'fish']));
  p.command('secret', { hidden: true });
  return p;
}

const VALUES: Record<ValueRequest['kind'], string[]> = {
  hosts: ['web1', 'web2', 'db'],
  roles: ['web', 'worker'],
  stages: ['staging', 'production'],
  processes: ['web', 'worker', 'web'],
  versions: ['1.0.1', '1.0.0'],
};

async function run(words: string[]): Promise<{ values: string[]; files: boolean; requests: ValueRequest[] }> {
  const requests: ValueRequest[] = [];
  const result = await completeWords(buildFakeProgram(), words, (r) => {
    requests.push(r);
    return VALUES[r.kind];
  });
  return { values: result.candidates.map((c) => c.value), files: result.files, requests };
}

test('an empty line offers the visible subcommands, not options or hidden commands', async () => {
  assert.deepEqual((await run([''])).values, ['deploy', 'rollback', 'app', 'init', 'completion', 'help']);
  assert.deepEqual((await run([])).values, (await run([''])).values);
});

test('a partial word is completed to the matching subcommand', async () => {
  assert.deepEqual((await run(['de'])).values, ['deploy']);
  assert.deepEqual((await run(['-v', 'ro'])).values, ['rollback']);
});

test('nested subcommands, reached through an alias too', async () => {
  assert.deepEqual((await run(['app', ''])).values, ['logs', 'start', 'restart', 'exec', 'help']);
  assert.deepEqual((await run(['rb', ''])).values, []);
});

test('--host and -H complete host names, filtered by what is typed', async () => {
  assert.deepEqual((await run(['deploy', '--host', ''])).values, ['web1', 'web2', 'db']);
  assert.deepEqual((await run(['-H', 'we'])).values, ['web1', 'web2']);
  assert.deepEqual((await run(['--host=w'])).values, ['--host=web1', '--host=web2']);
  assert.deepEqual((await run(['-Hd'])).values, ['-Hdb']);
  assert.deepEqual((await run(['-vH', ''])).values, ['web1', 'web2', 'db']);
});

test('--stage and -s complete stage names', async () => {
  assert.deepEqual((await run(['deploy', '-s', ''])).values, ['staging', 'production']);
  assert.deepEqual((await run(['--stage', 'p'])).values, ['production']);
});

test('process arguments of app subcommands complete process names, once each', async () => {
  assert.deepEqual((await run(['app', 'logs', ''])).values, ['web', 'worker']);
  assert.deepEqual((await run(['app', 'logs', '-f', 'wo'])).values, ['worker']);
  // `restart [name]` is a process argument because of the command, whatever the argument is called.
  assert.deepEqual((await run(['app', 'restart', ''])).values, ['web', 'worker']);
  // A variadic argument keeps completing; a single one stops after its value.
  assert.deepEqual((await run(['app', 'start', 'web', ''])).values, ['web', 'worker']);
  assert.deepEqual((await run(['app', 'logs', 'web', ''])).values, []);
  assert.deepEqual((await run(['app', 'exec', ''])).values, []);
});

test('the config file and stage typed on the line are passed to the value reader', async () => {
  const { requests } = await run(['-c', 'other.toml', '--stage=production', 'deploy', '--host', '']);
  assert.deepEqual(requests, [{ kind: 'hosts', config: 'other.toml', stage: 'production' }]);
  assert.deepEqual((await run(['--config=x.toml', '-sstaging', 'app', 'logs', ''])).requests, [
    { kind: 'processes', config: 'x.toml', stage: 'staging' },
  ]);
});

test('options of the command and of its parents, long and short', async () => {
  const deploy = (await run(['deploy', '--'])).values;
  for (const flag of ['--dry-run', '--lock-wait', '--host', '--stage', '--config', '--help']) assert.ok(deploy.includes(flag), flag);
  assert.ok(!deploy.includes('-H'), 'short flags do not match --');
  assert.ok((await run(['deploy', '-'])).values.includes('-H'));
  assert.deepEqual((await run(['deploy', '--dr'])).values, ['--dry-run']);
  assert.ok(!(await run(['--'])).values.includes('--dry-run'), 'a subcommand option is not offered at the top');
});

test('value-less and file options', async () => {
  assert.deepEqual((await run(['deploy', '--lock-wait', ''])).values, []);
  assert.equal((await run(['deploy', '--lock-wait', ''])).files, false);
  assert.equal((await run(['-c', ''])).files, true);
  assert.equal((await run(['--config='])).files, true);
  // After a boolean flag the next word is a subcommand again.
  assert.deepEqual((await run(['--verbose', 'dep'])).values, ['deploy']);
});

test('choices of options and arguments', async () => {
  assert.deepEqual((await run(['init', '--mode', ''])).values, ['python-package', 'binary']);
  assert.deepEqual((await run(['completion', 'z'])).values, ['zsh']);
});

test('help completes command names; after -- nothing is an option', async () => {
  assert.deepEqual((await run(['help', 'd'])).values, ['deploy']);
  assert.deepEqual((await run(['deploy', '--', '--'])).values, []);
});

test('the real program: every command, its options, global options, and the completion command', async () => {
  const program = buildProgram();
  const words = async (w: string[]) => (await completeWords(program, w, () => ['x'])).candidates.map((c) => c.value);
  // Whatever commands exist now (others add them), each is offered, and so are its own long options.
  const commands = program.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden);
  assert.ok(commands.length >= 2);
  assert.deepEqual(await words(['']), [...commands.map((c) => c.name()), 'help']);
  for (const cmd of commands) {
    const offered = await await words([cmd.name(), '--']);
    for (const o of cmd.options) if (o.long && !o.hidden) assert.ok(offered.includes(o.long), `${cmd.name()} ${o.long}`);
  }
  assert.ok((await words([''])).includes('completion'));
  assert.ok((await words([''])).includes('init'));
  assert.deepEqual(await words(['init', '--mode', '']), ['python-package', 'binary']);
  assert.deepEqual(await words(['completion', '']), ['bash', 'zsh', 'fish']);
  assert.deepEqual(await words(['--host', '']), ['x']);
  // rollback --to offers the installed versions (read from the host, here a fake reader).
  const asked: ValueRequest[] = [];
  const versions = await completeWords(
    program,
    ['-H', 'web2', 'rollback', '--to', '1.'],
    (r) => (asked.push(r), Promise.resolve(['1.0.1', '1.0.0', '2.0.0'])),
  );
  assert.deepEqual(
    versions.candidates.map((c) => c.value),
    ['1.0.1', '1.0.0'],
  );
  assert.deepEqual(
    asked.map((r) => [r.kind, r.host]),
    [['versions', 'web2']],
  );
  assert.ok((await words(['--'])).includes('--stage'));
});

const TOML = `
app = "shop"
[[hosts]]
name = "web1"
address = "10.0.0.1"
[[hosts]]
address = "10.0.0.2"
[processes]
web = "gunicorn shop.wsgi"
worker = { command = "celery worker", replicas = 2 }
[stages.staging]
[stages.production]
hosts = [{ name = "prod1", address = "10.1.0.1" }]
[stages.production.processes]
web = "gunicorn"
beat = "celery beat"
`;

test('values come from deployer.toml; a stage on the line narrows them', async () => {
  const dir = tempDir('completion-');
  writeFileSync(join(dir, 'deployer.toml'), TOML);
  const read = createValueReader(dir);
  assert.deepEqual(read({ kind: 'stages' }), ['staging', 'production']);
  assert.deepEqual(read({ kind: 'hosts' }), ['web1', '10.0.0.2', 'prod1']);
  assert.deepEqual(read({ kind: 'hosts', stage: 'production' }), ['prod1']);
  assert.deepEqual(read({ kind: 'hosts', stage: 'staging' }), ['web1', '10.0.0.2']);
  assert.deepEqual(read({ kind: 'processes', stage: 'production' }), ['web', 'beat']);
  assert.deepEqual(read({ kind: 'processes', stage: 'staging' }), ['web', 'worker']);
});

test('the file after -c is read, relative to the cwd', async () => {
  const dir = tempDir('completion-');
  writeFileSync(join(dir, 'other.toml'), '[stages.qa]\n');
  assert.deepEqual(createValueReader(dir)({ kind: 'stages', config: 'other.toml' }), ['qa']);
  assert.deepEqual(createValueReader(dir)({ kind: 'stages' }), []);
});

test('a broken, missing or oddly shaped file yields no values and never throws', async () => {
  const dir = tempDir('completion-');
  writeFileSync(join(dir, 'deployer.toml'), '[[hosts]\nname = "web1"\n');
  const read = createValueReader(dir);
  for (const kind of ['hosts', 'stages', 'processes'] as const) assert.deepEqual(read({ kind }), []);
  assert.deepEqual(listValues({ hosts: 'nope', stages: [1, 2], processes: 3 }, { kind: 'hosts' }), []);
  assert.deepEqual(listValues({ hosts: [{ port: 22 }, null, { address: 'a' }] }, { kind: 'hosts' }), ['a']);
});

test('each shell gets its own line format', async () => {
  const program = buildFakeProgram();
  const dir = tempDir('completion-');
  writeFileSync(join(dir, 'deployer.toml'), '[[hosts]]\nname = "a:b"\naddress = "x"\n');
  assert.equal(await answerCompletion(program, ['rol'], 'fish', dir), 'rollback\tgo back\n');
  assert.equal(await answerCompletion(program, ['dep'], 'zsh', dir), 'deploy:build and deploy\n');
  assert.equal(await answerCompletion(program, ['rol'], 'bash', dir), 'rollback\n');
  assert.equal(await answerCompletion(program, ['--host', ''], 'zsh', dir), 'a\\:b\n');
  assert.equal(await answerCompletion(program, ['-c', ''], 'bash', dir), ':files\n');
  // bash split `--host=a` at the `=`, and replaces only what follows it.
  assert.equal(await answerCompletion(program, ['--host', '=', 'a'], 'bash', dir), 'a:b\n');
  assert.equal(await answerCompletion(program, ['--host', '='], 'bash', dir), 'a:b\n');
  assert.equal(await answerCompletion(program, ['--host=a'], 'fish', dir), '--host=a:b\n');
});

test('joinBashWords undoes the split at = only after a long option', async () => {
  assert.deepEqual(joinBashWords(['--host', '=', 'w']), { words: ['--host=w'], split: true });
  assert.deepEqual(joinBashWords(['--host', '=']), { words: ['--host='], split: true });
  assert.deepEqual(joinBashWords(['--host', '=', 'w', 'deploy']), { words: ['--host=w', 'deploy'], split: false });
  assert.deepEqual(joinBashWords(['app', '=', '']), { words: ['app', '=', ''], split: false });
});

test('--completion generate picks the script from $SHELL, or fails with exit 2', async () => {
  const out: string[] = [];
  const io = (shell?: string) => ({
    cwd: '/',
    env: { SHELL: shell },
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => out.push(s) },
  });
  assert.equal(await runCompletion(['generate'], buildFakeProgram(), io('/usr/bin/fish')), 0);
  assert.match(out.join(''), /complete -c deployer -f -a '\(__deployer_complete\)'/);
  out.length = 0;
  assert.equal(await runCompletion(['generate', 'zsh'], buildFakeProgram(), io('/bin/sh')), 0);
  assert.match(out.join(''), /^#compdef deployer/);
  out.length = 0;
  assert.equal(await runCompletion(['generate'], buildFakeProgram(), io('/bin/tcsh')), 2);
  assert.match(out.join(''), /tcsh/);
  out.length = 0;
  assert.equal(await runCompletion(['complete', '--shell', 'bash', '--', 'dep'], buildFakeProgram(), io()), 0);
  assert.equal(out.join(''), 'deploy\n');
});

test('--role completes the roles written on hosts and processes, never running hosts_command', async () => {
  assert.deepEqual((await run(['deploy', '--role', 'w'])).values, ['web', 'worker']);
  const doc = {
    hosts: [
      { address: 'a', roles: ['web', 'worker'] },
      { address: 'b', roles: ['worker', 7] },
    ],
    processes: { web: 'x', cron: { command: 'y', roles: ['batch'] } },
  };
  assert.deepEqual(listValues(doc, { kind: 'roles' }), ['web', 'worker', 'batch']);
  // hosts_command: the hosts it prints are not read on a TAB, so --host offers nothing from it.
  assert.deepEqual(listValues({ hosts_command: 'touch ran', processes: { web: 'x' } }, { kind: 'hosts' }), []);
  assert.deepEqual(
    listValues(
      { hosts: [{ address: 'a', roles: ['web'] }], stages: { prod: { hosts: [{ address: 'b', roles: ['edge'] }] } } },
      { kind: 'roles', stage: 'prod' },
    ),
    ['edge'],
  );
});
