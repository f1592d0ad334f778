// The completion logic against a small commander program shaped like the real
// one (the real commands are written elsewhere), plus the TOML value reader
// and the per-shell output format.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Argument, Command, Option } from 'commander';
import { completeWords, type ValueRequest } from '../../src/completion/complete.js';
import { createValueReader, listValues } from '../../src/completion/values.js';
import { answerCompletion, joinBashWords, runCompletion } from '../../src/completion/run.js';
import { buildProgram } from '../../src/program.js';

function buildFakeProgram(): Command {
  const p = new Command('deployer')
    .option('-c, --config <file>', 'config file', 'deployer.toml')
    .option('-s, --stage <name>', 'stage')
    .option('-H, --host <name>', 'only this host', (v: string, prev: string[]) => [...prev, v], [] as string[])
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

const VALUES: Record<ValueRequest['kind'], string[]> = { hosts: ['web1', 'web2', 'db'], stages: ['staging', 'production'], processes: ['web', 'worker', 'web'] };

function run(words: string[]): { values: string[]; files: boolean; requests: ValueRequest[] } {
  const requests: ValueRequest[] = [];
  const result = completeWords(buildFakeProgram(), words, (r) => {
    requests.push(r);
    return VALUES[r.kind];
  });
  return { values: result.candidates.map((c) => c.value), files: result.files, requests };
}

test('an empty line offers the visible subcommands, not options or hidden commands', () => {
  assert.deepEqual(run(['']).values, ['deploy', 'rollback', 'app', 'init', 'completion', 'help']);
  assert.deepEqual(run([]).values, run(['']).values);
});

test('a partial word is completed to the matching subcommand', () => {
  assert.deepEqual(run(['de']).values, ['deploy']);
  assert.deepEqual(run(['-v', 'ro']).values, ['rollback']);
});

test('nested subcommands, reached through an alias too', () => {
  assert.deepEqual(run(['app', '']).values, ['logs', 'start', 'restart', 'exec', 'help']);
  assert.deepEqual(run(['rb', '']).values, []);
});

test('--host and -H complete host names, filtered by what is typed', () => {
  assert.deepEqual(run(['deploy', '--host', '']).values, ['web1', 'web2', 'db']);
  assert.deepEqual(run(['-H', 'we']).values, ['web1', 'web2']);
  assert.deepEqual(run(['--host=w']).values, ['--host=web1', '--host=web2']);
  assert.deepEqual(run(['-Hd']).values, ['-Hdb']);
  assert.deepEqual(run(['-vH', '']).values, ['web1', 'web2', 'db']);
});

test('--stage and -s complete stage names', () => {
  assert.deepEqual(run(['deploy', '-s', '']).values, ['staging', 'production']);
  assert.deepEqual(run(['--stage', 'p']).values, ['production']);
});

test('process arguments of app subcommands complete process names, once each', () => {
  assert.deepEqual(run(['app', 'logs', '']).values, ['web', 'worker']);
  assert.deepEqual(run(['app', 'logs', '-f', 'wo']).values, ['worker']);
  // `restart [name]` is a process argument because of the command, whatever the argument is called.
  assert.deepEqual(run(['app', 'restart', '']).values, ['web', 'worker']);
  // A variadic argument keeps completing; a single one stops after its value.
  assert.deepEqual(run(['app', 'start', 'web', '']).values, ['web', 'worker']);
  assert.deepEqual(run(['app', 'logs', 'web', '']).values, []);
  assert.deepEqual(run(['app', 'exec', '']).values, []);
});

test('the config file and stage typed on the line are passed to the value reader', () => {
  const { requests } = run(['-c', 'other.toml', '--stage=production', 'deploy', '--host', '']);
  assert.deepEqual(requests, [{ kind: 'hosts', config: 'other.toml', stage: 'production' }]);
  assert.deepEqual(run(['--config=x.toml', '-sstaging', 'app', 'logs', '']).requests, [{ kind: 'processes', config: 'x.toml', stage: 'staging' }]);
});

test('options of the command and of its parents, long and short', () => {
  const deploy = run(['deploy', '--']).values;
  for (const flag of ['--dry-run', '--lock-wait', '--host', '--stage', '--config', '--help']) assert.ok(deploy.includes(flag), flag);
  assert.ok(!deploy.includes('-H'), 'short flags do not match --');
  assert.ok(run(['deploy', '-']).values.includes('-H'));
  assert.deepEqual(run(['deploy', '--dr']).values, ['--dry-run']);
  assert.ok(!run(['--']).values.includes('--dry-run'), 'a subcommand option is not offered at the top');
});

test('value-less and file options', () => {
  assert.deepEqual(run(['deploy', '--lock-wait', '']).values, []);
  assert.equal(run(['deploy', '--lock-wait', '']).files, false);
  assert.equal(run(['-c', '']).files, true);
  assert.equal(run(['--config=']).files, true);
  // After a boolean flag the next word is a subcommand again.
  assert.deepEqual(run(['--verbose', 'dep']).values, ['deploy']);
});

test('choices of options and arguments', () => {
  assert.deepEqual(run(['init', '--mode', '']).values, ['python-package', 'binary']);
  assert.deepEqual(run(['completion', 'z']).values, ['zsh']);
});

test('help completes command names; after -- nothing is an option', () => {
  assert.deepEqual(run(['help', 'd']).values, ['deploy']);
  assert.deepEqual(run(['deploy', '--', '--']).values, []);
});

test('the real program: every command, its options, global options, and the completion command', () => {
  const program = buildProgram();
  const words = (w: string[]) => completeWords(program, w, () => ['x']).candidates.map((c) => c.value);
  // Whatever commands exist now (others add them), each is offered, and so are its own long options.
  const commands = program.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden);
  assert.ok(commands.length >= 2);
  assert.deepEqual(words(['']), [...commands.map((c) => c.name()), 'help']);
  for (const cmd of commands) {
    const offered = words([cmd.name(), '--']);
    for (const o of cmd.options) if (o.long && !o.hidden) assert.ok(offered.includes(o.long), `${cmd.name()} ${o.long}`);
  }
  assert.ok(words(['']).includes('completion'));
  assert.ok(words(['']).includes('init'));
  assert.deepEqual(words(['init', '--mode', '']), ['python-package', 'binary']);
  assert.deepEqual(words(['completion', '']), ['bash', 'zsh', 'fish']);
  assert.deepEqual(words(['--host', '']), ['x']);
  assert.ok(words(['--']).includes('--stage'));
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

test('values come from deployer.toml; a stage on the line narrows them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'completion-'));
  writeFileSync(join(dir, 'deployer.toml'), TOML);
  const read = createValueReader(dir);
  assert.deepEqual(read({ kind: 'stages' }), ['staging', 'production']);
  assert.deepEqual(read({ kind: 'hosts' }), ['web1', '10.0.0.2', 'prod1']);
  assert.deepEqual(read({ kind: 'hosts', stage: 'production' }), ['prod1']);
  assert.deepEqual(read({ kind: 'hosts', stage: 'staging' }), ['web1', '10.0.0.2']);
  assert.deepEqual(read({ kind: 'processes', stage: 'production' }), ['web', 'beat']);
  assert.deepEqual(read({ kind: 'processes', stage: 'staging' }), ['web', 'worker']);
});

test('the file after -c is read, relative to the cwd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'completion-'));
  writeFileSync(join(dir, 'other.toml'), '[stages.qa]\n');
  assert.deepEqual(createValueReader(dir)({ kind: 'stages', config: 'other.toml' }), ['qa']);
  assert.deepEqual(createValueReader(dir)({ kind: 'stages' }), []);
});

test('a broken, missing or oddly shaped file yields no values and never throws', () => {
  const dir = mkdtempSync(join(tmpdir(), 'completion-'));
  writeFileSync(join(dir, 'deployer.toml'), '[[hosts]\nname = "web1"\n');
  const read = createValueReader(dir);
  for (const kind of ['hosts', 'stages', 'processes'] as const) assert.deepEqual(read({ kind }), []);
  assert.deepEqual(listValues({ hosts: 'nope', stages: [1, 2], processes: 3 }, { kind: 'hosts' }), []);
  assert.deepEqual(listValues({ hosts: [{ port: 22 }, null, { address: 'a' }] }, { kind: 'hosts' }), ['a']);
});

test('each shell gets its own line format', () => {
  const program = buildFakeProgram();
  const dir = mkdtempSync(join(tmpdir(), 'completion-'));
  writeFileSync(join(dir, 'deployer.toml'), '[[hosts]]\nname = "a:b"\naddress = "x"\n');
  assert.equal(answerCompletion(program, ['rol'], 'fish', dir), 'rollback\tgo back\n');
  assert.equal(answerCompletion(program, ['dep'], 'zsh', dir), 'deploy:build and deploy\n');
  assert.equal(answerCompletion(program, ['rol'], 'bash', dir), 'rollback\n');
  assert.equal(answerCompletion(program, ['--host', ''], 'zsh', dir), 'a\\:b\n');
  assert.equal(answerCompletion(program, ['-c', ''], 'bash', dir), ':files\n');
  // bash split `--host=a` at the `=`, and replaces only what follows it.
  assert.equal(answerCompletion(program, ['--host', '=', 'a'], 'bash', dir), 'a:b\n');
  assert.equal(answerCompletion(program, ['--host', '='], 'bash', dir), 'a:b\n');
  assert.equal(answerCompletion(program, ['--host=a'], 'fish', dir), '--host=a:b\n');
});

test('joinBashWords undoes the split at = only after a long option', () => {
  assert.deepEqual(joinBashWords(['--host', '=', 'w']), { words: ['--host=w'], split: true });
  assert.deepEqual(joinBashWords(['--host', '=']), { words: ['--host='], split: true });
  assert.deepEqual(joinBashWords(['--host', '=', 'w', 'deploy']), { words: ['--host=w', 'deploy'], split: false });
  assert.deepEqual(joinBashWords(['app', '=', '']), { words: ['app', '=', ''], split: false });
});

test('--completion generate picks the script from $SHELL, or fails with exit 2', () => {
  const out: string[] = [];
  const io = (shell?: string) => ({ cwd: '/', env: { SHELL: shell }, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } });
  assert.equal(runCompletion(['generate'], buildFakeProgram(), io('/usr/bin/fish')), 0);
  assert.match(out.join(''), /complete -c deployer -f -a '\(__deployer_complete\)'/);
  out.length = 0;
  assert.equal(runCompletion(['generate', 'zsh'], buildFakeProgram(), io('/bin/sh')), 0);
  assert.match(out.join(''), /^#compdef deployer/);
  out.length = 0;
  assert.equal(runCompletion(['generate'], buildFakeProgram(), io('/bin/tcsh')), 2);
  assert.match(out.join(''), /tcsh/);
  out.length = 0;
  assert.equal(runCompletion(['complete', '--shell', 'bash', '--', 'dep'], buildFakeProgram(), io()), 0);
  assert.equal(out.join(''), 'deploy\n');
});
