// Ports shared on one host (issue 18, finding 9 and its part of 10), on a
// real host. Under blue-green each app and stage takes 2 ports per web
// replica, so the layout the docs taught before (staging on 8001 beside
// production on 8000) collides: the stage's first deploy worked, its second
// failed at the switch. Now the deploy (and `plan`) refuses the overlap
// before anything is created on the host (exit 2), naming both apps, both
// ranges and a free range; the stage on that range deploys twice. A port
// taken by a process that no record tells about still fails at the switch,
// but the message names the unit (and deployer app) that holds it, and the
// hint promises no log lines that are not shown.
import { test, before, after, describe } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, type CliResult, type Project } from '../helpers/project.js';

const base = appToml({
  app: 'shop',
  settings: { drain_seconds: 1 },
  site: null,
  timeout: 10,
  extra: '[stages.production]\nwebserver = { domains = ["http://prod.localhost"], upstream = "127.0.0.1:8000" }',
});
const staging = (port: number) => `
[stages.staging]
webserver = { domains = ["http://staging.localhost"], upstream = "127.0.0.1:${port}" }
`;
const out = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

describe('two stages of one app on one host, blue-green', () => {
  let host: TestHost;
  let app: Project;
  const root = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();
  const served = async (site: string) => {
    const r = await httpGet(host.httpPort, '/', site);
    return `${r.status} ${r.body.trim()}`;
  };
  /** What a refused deploy must not have made: the stage's dir, units, site. */
  const stagingTraces = () =>
    root('ls -d /srv/deployer/shop-staging /etc/systemd/system/shop-staging-* /etc/caddy/sites/shop-staging.caddy 2>/dev/null || true');

  before(async () => {
    host = await startHost();
    app = createProject('binary-app', [host], base);
    app.writeConfig(staging(8001));
    const r = await app.run(['deploy', '--stage', 'production']);
    assert.equal(r.code, 0, out(r));
  });
  after(async () => {
    app?.cleanup();
    await host?.down();
  });

  const refusal =
    /deployer\.toml:\d+:\d+: h1: shop \(stage staging\) would take ports 8001-8002 \(webserver\.upstream 127\.0\.0\.1:8001\), which overlap shop \(stage production\) in \/srv\/deployer\/shop-production, which has ports 8000-8001 \((recorded in|seen from) shop-production-web@\.service\): with strategy "blue-green" each app and stage takes 2 ports per web replica[^\n]*Nothing was changed on h1\. Fix: set upstream = "127\.0\.0\.1:8002" under \[stages\.staging\.webserver\] in deployer\.toml \(ports 8002-8003 are free on h1\)/;

  test('a stage on the next port is refused before anything is created (exit 2), naming both stages, both ranges and a free range', async () => {
    const plan = await app.run(['plan', '--stage', 'staging']);
    assert.equal(plan.code, 2, out(plan));
    assert.match(plan.stderr, refusal);
    const r = await app.run(['deploy', '--stage', 'staging']);
    assert.equal(r.code, 2, out(r));
    assert.match(r.stderr, refusal);
    assert.match(r.stderr, /recorded in shop-production-web@\.service/);
    assert.equal(await stagingTraces(), '', 'no app dir, no release, no units, no site');
    assert.equal(await served('prod.localhost'), '200 hello-bin 1.0.0');
  });

  test('a production deployed before the ports record: its range is derived from its units and links, and still refused', async () => {
    // What an earlier deployer left: the web unit without the `# deployer-ports:` line.
    await root("sed -i '/^# deployer-ports: /d' /etc/systemd/system/shop-production-web@.service");
    const r = await app.run(['deploy', '--stage', 'staging']);
    assert.equal(r.code, 2, out(r));
    assert.match(r.stderr, refusal);
    assert.match(r.stderr, /seen from shop-production-web@\.service/);
    assert.equal(await stagingTraces(), '');
    // The next production deploy writes the record again.
    app.setVersion('1.0.1');
    const p = await app.run(['deploy', '--stage', 'production']);
    assert.equal(p.code, 0, out(p));
    assert.equal(await root("grep '^# deployer-ports: ' /etc/systemd/system/shop-production-web@.service"), '# deployer-ports: 8000-8001');
  });

  test('the stage on the suggested range deploys, twice; production keeps serving', async () => {
    app.writeConfig(staging(8002));
    for (const v of ['1.0.0', '1.0.1']) {
      app.setVersion(v);
      const r = await app.run(['deploy', '--stage', 'staging']);
      assert.equal(r.code, 0, `staging ${v}:\n${out(r)}`);
      assert.equal(await served('staging.localhost'), `200 hello-bin ${v}`);
    }
    assert.equal(await served('prod.localhost'), '200 hello-bin 1.0.1');
    assert.equal(await root("grep '^# deployer-ports: ' /etc/systemd/system/shop-staging-web@.service"), '# deployer-ports: 8002-8003');
  });

  test('a port held by a unit no record tells about fails the switch naming that unit and its app; the hint shows no promised log lines', async () => {
    // A unit with deployer's marker but no ports record, no PORT, no instances, no site: no range can be told.
    // It listens on the port where staging's next deploy starts its idle slot (live is slot a, 8002).
    // The instance of staging's first release on 8003 stops once its drain ends.
    await root('for i in $(seq 100); do systemctl is-active --quiet shop-staging-web@8003.service || break; sleep 0.1; done');
    await root(`cat > /etc/systemd/system/squat-web.service <<'EOF'
# deployer-app: squat
# deployer-owner: app=squat stage= apps_dir=/srv/other
[Service]
ExecStart=/usr/bin/python3 -m http.server 8003 --bind 127.0.0.1
EOF
systemctl daemon-reload && systemctl start squat-web.service
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/8003) 2>/dev/null && break; sleep 0.1; done`);
    try {
      app.setVersion('1.0.2');
      const r = await app.run(['deploy', '--stage', 'staging']);
      assert.equal(r.code, 7, out(r));
      assert.match(
        r.stderr,
        /port 8003, where deployer starts shop-staging-web@8003, is taken by another process \(python3, pid \d+, unit squat-web\.service, of the deployer app squat in \/srv\/other\)/,
      );
      assert.doesNotMatch(r.stderr, /log lines are shown above/);
      assert.match(r.stderr, /hint: the host's reason is shown above/);
      assert.equal(await served('staging.localhost'), '200 hello-bin 1.0.1');
    } finally {
      await root('systemctl stop squat-web.service; rm -f /etc/systemd/system/squat-web.service; systemctl daemon-reload');
    }
  });
});
