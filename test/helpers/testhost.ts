// Real Debian test hosts for e2e tests, booted by test/host/testhost.sh
// (systemd-nspawn, private network, loopback proxies). Usage:
//   const host = await startHost(); after(() => host.down());
// Hosts still up when the process exits (a crash, Ctrl-C, the runner's
// SIGTERM) are torn down synchronously, so no test leaves one behind.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface SshResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface TestHost {
  name: string;
  address: '127.0.0.1';
  sshPort: number;
  /** Guest port -> host port on 127.0.0.1 (22 -> sshPort included). */
  ports: Record<number, number>;
  /** Host port that reaches the guest's :80 (Caddy); 0 when 80 is not forwarded. */
  httpPort: number;
  /** Private key accepted for root and deploy. */
  keyPath: string;
  /** known_hosts holding `[127.0.0.1]:PORT ssh-ed25519 …`. */
  knownHostsPath: string;
  /** That known_hosts line. */
  hostKeyLine: string;
  /** `ssh-ed25519 AAAA…` (type and base64, no host pattern). */
  hostKey: string;
  /** OpenSSH client config with a `Host <name>` entry. */
  sshConfigPath: string;
  /** The host's root filesystem as seen from the machine (overlay mount). */
  rootfs: string;
  bootSeconds: number;
  /** Run a command with the OpenSSH client (independent of our ssh2 code). Never throws on exit codes. */
  ssh(cmd: string, opts?: { user?: 'root' | 'deploy'; input?: string }): Promise<SshResult>;
  /** Stop the loopback proxy for a guest port: its open connections drop, new ones are refused. */
  stopProxy(guestPort: number): Promise<void>;
  /**
   * Start it again; with `rttMs`, the path through it has that round-trip time
   * (loopback-proxy.mjs delays each direction by half). Open connections drop.
   */
  startProxy(guestPort: number, rttMs?: number): Promise<void>;
  /** Power off and remove every trace. Idempotent. */
  down(): Promise<void>;
}

interface InfoJson {
  name: string;
  sshPort: number;
  keyPath: string;
  knownHostsPath: string;
  sshConfigPath: string;
  hostKey: string;
  hostKeyLine: string;
  forwards: { hostPort: number; guestPort: number }[];
  rootfs: string;
  bootSeconds: number;
}

const scriptPath = findScript();
const liveHosts = new Set<string>();
let hostCounter = 0;
let exitHooksInstalled = false;

function findScript(): string {
  // Compiled to dist/test/helpers/, sources in test/helpers/: walk up to the repo root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'test', 'host', 'testhost.sh');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('test/host/testhost.sh not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The directory that holds instances, so tests can check what teardown removed. */
/** A valid ed25519 public key that is no test host's (a known_hosts line that must not match). */
export const FOREIGN_HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

export function testhostBaseDir(): string {
  return process.env.DEPLOYER_TESTHOST_BASE ?? '/var/tmp/deployer-testhost';
}

/** The cgroup group holding every host's processes (`<hierarchy>/<group>/<name>`). */
export function testhostCgroupGroup(): string {
  return process.env.DEPLOYER_TESTHOST_CGROUP ?? 'deployer-test';
}

/** A loopback port nobody listens on right now (the kernel picks it). */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function downSync(name: string): void {
  try {
    execFileSync('bash', [scriptPath, 'down', name], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
  } catch {
    // Best effort while exiting; `testhost.sh down-all` is the backstop.
  }
  liveHosts.delete(name);
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const name of [...liveHosts]) downSync(name);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      for (const name of [...liveHosts]) downSync(name);
      // Die of the same signal, as if we had not caught it.
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

async function bootHost(name: string, forwards: number[]): Promise<InfoJson> {
  // Ports are picked before `up` binds them, so another process can take one in
  // between; the script then refuses, and we try again with new ports.
  for (let attempt = 1; ; attempt++) {
    const sshPort = await pickFreePort();
    const fwdArgs: string[] = [];
    for (const guest of forwards) fwdArgs.push(`${await pickFreePort()}:${guest}`);
    try {
      const { stdout } = await execFileAsync('bash', [scriptPath, 'up', name, String(sshPort), ...fwdArgs], {
        maxBuffer: 16 * 1024 * 1024,
      });
      return JSON.parse(stdout) as InfoJson;
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? '');
      if (attempt < 3 && /already in use/.test(stderr)) continue;
      throw new Error(`testhost up ${name} failed: ${(err as Error).message}\n${stderr}`);
    }
  }
}

function runSsh(info: InfoJson, cmd: string, opts: { user?: 'root' | 'deploy'; input?: string }): Promise<SshResult> {
  const target = opts.user === 'deploy' ? `deploy@${info.name}` : info.name;
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-F', info.sshConfigPath, target, cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? 255 }));
    child.stdin.on('error', () => {}); // the remote command may exit before reading
    child.stdin.end(opts.input ?? '');
  });
}

export async function startHost(opts: { name?: string; forwards?: number[] } = {}): Promise<TestHost> {
  const name = opts.name ?? `t-${process.pid}-${++hostCounter}`;
  const forwards = opts.forwards ?? [80];
  installExitHooks();
  // Registered before booting: a signal during `up` must still tear it down.
  liveHosts.add(name);
  let info: InfoJson;
  try {
    info = await bootHost(name, forwards);
  } catch (err) {
    liveHosts.delete(name); // `up` cleans up after itself on failure
    throw err;
  }
  const ports: Record<number, number> = {};
  for (const f of info.forwards) ports[f.guestPort] = f.hostPort;

  const hostPortFor = (guestPort: number): string => {
    const hostPort = ports[guestPort];
    if (hostPort === undefined) throw new Error(`guest port ${guestPort} is not forwarded on ${name}`);
    return String(hostPort);
  };
  let downPromise: Promise<void> | undefined;

  return {
    name,
    address: '127.0.0.1',
    sshPort: info.sshPort,
    ports,
    httpPort: ports[80] ?? 0,
    keyPath: info.keyPath,
    knownHostsPath: info.knownHostsPath,
    hostKeyLine: info.hostKeyLine,
    hostKey: info.hostKey,
    sshConfigPath: info.sshConfigPath,
    rootfs: info.rootfs,
    bootSeconds: info.bootSeconds,
    ssh: (cmd, sshOpts = {}) => runSsh(info, cmd, sshOpts),
    stopProxy: async (guestPort) => {
      await execFileAsync('bash', [scriptPath, 'proxy-stop', name, hostPortFor(guestPort)]);
    },
    startProxy: async (guestPort, rttMs = 0) => {
      await execFileAsync('bash', [scriptPath, 'proxy-start', name, hostPortFor(guestPort), String(rttMs)]);
    },
    down: () => {
      downPromise ??= execFileAsync('bash', [scriptPath, 'down', name]).then(() => {
        liveHosts.delete(name);
      });
      return downPromise;
    },
  };
}

/**
 * Connects two hosts' network namespaces with a veth pair and a private /30
 * that exists only inside them; returns each host's address on it.
 */
export async function linkHosts(a: TestHost, b: TestHost, network = '10.213.0.0'): Promise<{ a: string; b: string }> {
  const { stdout } = await execFileAsync('bash', [scriptPath, 'link', a.name, b.name, network]);
  const addrs = JSON.parse(stdout) as Record<string, string>;
  return { a: addrs[a.name], b: addrs[b.name] };
}

/** GET http://127.0.0.1:PORT/PATH, optionally with a Host header (for Caddy's name-based sites). */
export function httpGet(port: number, path = '/', host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: host ? { Host: host } : {}, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
