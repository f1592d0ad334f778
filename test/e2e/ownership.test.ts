// Deployer changes or deletes only what it created (issue 9, "Data loss").
// Every app dir it creates carries an identity record (app, stage, apps_dir);
// an existing directory without it, or with another app's, is refused (exit 4)
// and left untouched; existing directories are never re-owned or re-moded; a
// stage `shop --stage admin` and an app `shop-admin` cannot take each other's
// dir, units or site; an app dir made by an earlier deployer is adopted once.
// The config refuses some spellings itself (apps_dir = "/", /opt, /usr/...):
// those tests accept its exit 2 too; the others use directories the config
// accepts, so the host-side check is what they exercise.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { createProject, resultEvent, type Project } from '../helpers/project.js';

let host: TestHost;
const projects: Project[] = [];

const app = (name: string, port: number, extra = '') => `
app = "${name}"
build_command = "./build.sh"
distfile = "dist/hello-bin"
installation_mode = "binary"
${extra}

[processes]
web = "app_binary"

[webserver]
domains = ["http://${name}.localhost"]
upstream = "127.0.0.1:${port}"

[health_check]
path = "/healthz"
timeout = 8
`;

function project(toml: string): Project {
  const p = createProject('binary-app', [host], toml);
  projects.push(p);
  return p;
}
const root = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();
const served = async (site: string) => {
  const r = await httpGet(host.httpPort, '/', site);
  return `${r.status} ${r.body.trim()}`;
};
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

before(async () => {
  host = await startHost();
});
after(async () => {
  for (const p of projects) p.cleanup();
  await host?.down();
});

let hello: Project;

test('a first deploy creates the app dir with an identity record, and leaves /srv as it was', async () => {
  const srvBefore = await root('stat -c "%U:%G %a" /srv');
  hello = project(app('hello', 8000));
  const r = await hello.run(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await served('hello.localhost'), '200 hello-bin 1.0.0');
  assert.equal(await root('cat /srv/deployer/hello/.deployer-app'), 'app=hello\nstage=\napps_dir=/srv/deployer');
  assert.equal(await root('stat -c "%U:%G %a" /srv'), srvBefore);
});

test('apps_dir = "/" with app "srv": deploy and down are refused; nothing under /srv goes', async () => {
  await root('mkdir -p /srv/keep && echo precious > /srv/keep/data');
  const p = project(app('srv', 8200, 'apps_dir = "/"'));
  for (const args of [['deploy'], ['deploy'], ['down', '--yes']]) {
    const r = await p.run(args);
    // Refused by the config (exit 2) or on the host (exit 4); never a success.
    assert.ok(r.code === 2 || r.code === 4, `${args.join(' ')}: exit ${r.code}\n${out(r)}`);
  }
  assert.equal(await root('cat /srv/keep/data'), 'precious');
  assert.equal(await served('hello.localhost'), '200 hello-bin 1.0.0');
  assert.equal(await root('test -e /srv/.deployer-app && echo yes || echo no'), 'no');
});

test('app "deployer" with apps_dir = "/srv" is refused: /srv/deployer holds other apps', async () => {
  const p = project(app('deployer', 8210, 'apps_dir = "/srv"'));
  // Refused by the config (exit 2, it knows this spelling) or on the host (exit 4: no identity record).
  const d = await p.run(['deploy']);
  assert.ok(d.code === 2 || d.code === 4, out(d));
  if (d.code === 4) assert.match(out(d), /\/srv\/deployer exists and was not created by deployer for deployer/);
  const down = await p.run(['down', '--yes']);
  assert.ok(down.code === 2 || down.code === 4, out(down));
  assert.equal(await root('ls /srv/deployer/hello/current/ >/dev/null && echo there'), 'there');
  assert.equal(await root('test -e /srv/deployer/v1.0.0 && echo yes || echo no'), 'no');
  assert.equal(await served('hello.localhost'), '200 hello-bin 1.0.0');
});

// The config refuses /opt, /usr/local/share and the like as apps_dir; on the
// host, any existing directory (here /srv/shared, root's) gets the same care.
test('an existing directory deployer did not create is refused and left untouched (deploy and down)', async () => {
  await root('mkdir -p /srv/shared/someexisting && echo mine > /srv/shared/someexisting/data.db && chmod 700 /srv/shared/someexisting');
  const before = await root('stat -c "%U:%G %a" /srv/shared /srv/shared/someexisting; ls -a /srv/shared /srv/shared/someexisting');
  const p = project(app('someexisting', 8220, 'apps_dir = "/srv/shared"'));
  const d = await p.run(['deploy']);
  assert.equal(d.code, 4, out(d));
  assert.match(out(d), /\/srv\/shared\/someexisting exists and was not created by deployer/);
  const down = await p.run(['down', '--yes']);
  assert.equal(down.code, 4, out(down));
  assert.equal(await root('cat /srv/shared/someexisting/data.db'), 'mine');
  // Not even deployer's state dir was created beside it.
  assert.equal(await root('stat -c "%U:%G %a" /srv/shared /srv/shared/someexisting; ls -a /srv/shared /srv/shared/someexisting'), before);
});

test('a deploy into an existing apps_dir neither re-owns nor re-modes it (root 755 stays root 755, a 1777 dir stays 1777)', async () => {
  await root('mkdir -p /srv/sticky-apps && chmod 1777 /srv/sticky-apps');
  const before = '/srv/shared root:root 755\n/srv/sticky-apps root:root 1777';
  assert.equal(await root('stat -c "%n %U:%G %a" /srv/shared /srv/sticky-apps'), before);
  const a = project(app('fresh', 8230, 'apps_dir = "/srv/shared"'));
  const r1 = await a.run(['deploy']);
  assert.equal(r1.code, 0, out(r1));
  const b = project(app('sticky', 8240, 'apps_dir = "/srv/sticky-apps"'));
  const r2 = await b.run(['deploy']);
  assert.equal(r2.code, 0, out(r2));
  assert.equal(await root('stat -c "%n %U:%G %a" /srv/shared /srv/sticky-apps'), before);
  assert.equal(await served('fresh.localhost'), '200 hello-bin 1.0.0');
  // down removes what it created, and only that.
  const down = await a.run(['down', '--yes']);
  assert.equal(down.code, 0, out(down));
  assert.equal(await root('test -e /srv/shared/fresh && echo yes || echo no'), 'no');
  assert.equal(await root('cat /srv/shared/someexisting/data.db'), 'mine');
  assert.equal(await root('stat -c "%n %U:%G %a" /srv/shared /srv/sticky-apps'), before);
});

test('stage "admin" of app "shop" and the app "shop-admin" cannot take each other\'s dir, units or site', async () => {
  const other = project(app('shop-admin', 8250));
  const r = await other.run(['deploy']);
  assert.equal(r.code, 0, out(r));
  const unitsBefore = await root('sha256sum /etc/systemd/system/shop-admin-* /etc/caddy/sites/shop-admin.caddy');

  const shop = project(
    app('shop', 8260, '') +
      '\n[stages.admin]\nwebserver = { domains = ["http://shop-stage-admin.localhost"], upstream = "127.0.0.1:8270" }\n',
  );
  const same = await shop.run(['deploy', '--stage', 'admin']);
  assert.equal(same.code, 4, out(same));
  assert.match(out(same), /\/srv\/deployer\/shop-admin exists and was not created by deployer for shop \(stage admin\)/);
  assert.match(out(same), /app=shop-admin/);
  const down = await shop.run(['down', '--stage', 'admin', '--yes']);
  assert.equal(down.code, 4, out(down));

  // Another apps_dir: the dirs differ, but the unit names and the Caddy site would not.
  const elsewhere = project(
    app('shop', 8260, 'apps_dir = "/srv/elsewhere"') +
      '\n[stages.admin]\nwebserver = { domains = ["http://shop-stage-admin.localhost"], upstream = "127.0.0.1:8270" }\n',
  );
  const units = await elsewhere.run(['deploy', '--stage', 'admin']);
  assert.equal(units.code, 4, out(units));
  // The web unit is the blue-green template shop-admin-web@.service (shop-admin-web.service with strategy = "restart").
  assert.match(out(units), /shop-admin-web@?\.service (belongs to|was not created by)/);
  // Its down removes only its own (empty) app dir: not shop-admin's units or site.
  const down2 = await elsewhere.run(['down', '--stage', 'admin', '--yes']);
  assert.equal(down2.code, 0, out(down2));
  assert.equal(await root('test -e /srv/elsewhere/shop-admin && echo yes || echo no'), 'no');

  assert.equal(await root('sha256sum /etc/systemd/system/shop-admin-* /etc/caddy/sites/shop-admin.caddy'), unitsBefore);
  assert.equal(await root('cat /srv/deployer/shop-admin/.deployer-app'), 'app=shop-admin\nstage=\napps_dir=/srv/deployer');
  assert.equal(await served('shop-admin.localhost'), '200 hello-bin 1.0.0');
});

test('an app dir made by an earlier deployer (no identity record) is adopted once, with a line saying so', async () => {
  // What today's deployer leaves: no record, units without the owner line.
  await root(
    "rm /srv/deployer/hello/.deployer-app && sed -i '/^# deployer-owner: /d' /etc/systemd/system/hello-web.service /etc/caddy/sites/hello.caddy",
  );
  hello.setVersion('1.0.1');
  const r = await hello.run(['deploy']);
  assert.equal(r.code, 0, out(r));
  assert.match(out(r), /adopted \/srv\/deployer\/hello/);
  assert.equal(await root('cat /srv/deployer/hello/.deployer-app'), 'app=hello\nstage=\napps_dir=/srv/deployer');
  assert.equal(await served('hello.localhost'), '200 hello-bin 1.0.1');
  const again = await hello.run(['deploy']);
  assert.equal(again.code, 0, out(again));
  assert.doesNotMatch(out(again), /adopted/);
});

test('server bootstrap leaves an existing apps_dir the deploy user cannot write as it was', async () => {
  await root('mkdir -p /srv/boot-apps && chmod 755 /srv/boot-apps');
  const before = 'root:root 755';
  assert.equal(await root('stat -c "%U:%G %a" /srv/boot-apps'), before);
  const p = project(app('boot', 8280, 'apps_dir = "/srv/boot-apps"'));
  const r = await p.run(['server', 'bootstrap', '--json']);
  assert.equal(r.code, 0, out(r));
  const unchanged = (resultEvent(r)!.data.hosts[0] as { unchanged: string[] }).unchanged;
  assert.ok(
    unchanged.some((l) => /\/srv\/boot-apps exists, owned by root, left as it is/.test(l)),
    unchanged.join('; '),
  );
  assert.equal(await root('stat -c "%U:%G %a" /srv/boot-apps'), before);
  // And a deploy there still works (the app dir is created with sudo).
  const d = await p.run(['deploy']);
  assert.equal(d.code, 0, out(d));
  assert.equal(await root('stat -c "%U:%G %a" /srv/boot-apps'), before);
  assert.equal(await served('boot.localhost'), '200 hello-bin 1.0.0');
});
