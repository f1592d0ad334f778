// The one stub host of the bash tests: remote/*.sh run in a real local bash
// with stub programs first on PATH (sudo runs its arguments; systemctl,
// journalctl, systemd-run and caddy log their argv and answer from files).
// A test states the host (unit states, list-units, extra stubs) and reads the
// calls back; its temp dir goes when the test file ends.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

export interface BashResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface UnitProps {
  ActiveState?: string;
  NRestarts?: number;
  /** `systemctl show -p Environment` (space-separated NAME=VALUE). */
  Environment?: string;
  ControlGroup?: string;
}

export interface StubHost {
  /** The host's temp dir: put its app dirs, unit dirs and Caddyfiles under it. */
  dir: string;
  /** The stubs' folder (first on PATH in `env`). */
  bin: string;
  /** Where every stub appends `NAME ARGV` (tests may append their own lines). */
  logFile: string;
  /** process.env with the stubs first on PATH. */
  env: NodeJS.ProcessEnv;
  /** Adds or replaces a stub: a bash script body (HOST names the host's dir). */
  stub(name: string, body: string): void;
  /** The logged calls, one a line (`systemctl stop -- x.service`). */
  calls(): string[];
  /** What systemctl answers for a unit; units not set are in the host's default state. */
  setUnit(unit: string, props: UnitProps): void;
  /** What `systemctl list-units` prints (one line a unit, as with --plain --no-legend). */
  setListUnits(lines: string[]): void;
  /** `bash -s` with the script on stdin, the stubs on PATH. */
  run(script: string, env?: NodeJS.ProcessEnv): BashResult;
  /** The same without blocking the event loop (for tests whose HTTP servers must answer meanwhile). */
  runAsync(script: string, env?: NodeJS.ProcessEnv): Promise<BashResult>;
}

// Every argument that is not an option names a unit; its properties come
// from HOST/unit-state/UNIT (KEY=VALUE lines) over the defaults. With
// DP_TEST_LINK set, a stop also logs where that link pointed at the time.
const SYSTEMCTL = `case "\${DP_STUB_LOG_QUERIES:-1} $1" in "0 show" | "0 is-active" | "0 is-enabled" | "0 list-units") ;; *) echo "systemctl $*" >> "$HOST/log" ;; esac
if [ "$1" = stop ] && [ -n "\${DP_TEST_LINK:-}" ]; then echo "link at stop: $(readlink "$DP_TEST_LINK")" >> "$HOST/log"; fi
verb=$1; shift
props=() value=0 quiet=0 units=() after=0
while [ $# -gt 0 ]; do
  if [ $after = 1 ]; then units+=("$1")
  else case $1 in -p) props+=("$2"); shift ;; -P) props+=("$2"); value=1; shift ;; --value) value=1 ;; --quiet) quiet=1 ;; --) after=1 ;; -*) ;; *) units+=("$1") ;; esac
  fi
  shift
done
prop() { # UNIT KEY
  local line
  if [ -f "$HOST/unit-state/$1" ]; then
    while IFS= read -r line; do [ "\${line%%=*}" = "$2" ] && { printf '%s\\n' "\${line#*=}"; return; }; done < "$HOST/unit-state/$1"
  fi
  case $2 in
    ActiveState) cat "$HOST/default-state" ;; NRestarts) echo 0 ;; SubState) echo running ;; MainPID) echo 42 ;;
    ActiveEnterTimestamp) echo 'Mon 2024-01-01 00:00:00 UTC' ;; *) echo ;;
  esac
}
case $verb in
  show)
    for u in "\${units[@]}"; do
      for p in "\${props[@]}"; do if [ $value = 1 ]; then prop "$u" "$p"; else printf '%s=%s\\n' "$p" "$(prop "$u" "$p")"; fi; done
      [ $value = 1 ] || echo
    done ;;
  is-active)
    rc=0
    for u in "\${units[@]}"; do st=$(prop "$u" ActiveState); [ "$st" = active ] || rc=3; [ "$quiet" = 1 ] || echo "$st"; done
    exit $rc ;;
  list-units) [ -f "$HOST/list-units" ] && cat "$HOST/list-units" ;;
esac
exit 0`;

/** A stub host whose units are `defaultState` (`active` or `inactive`) unless set. */
export function stubHost(opts: { defaultState?: string; logQueries?: boolean } = {}): StubHost {
  const dir = tempDir('deployer-stubhost-');
  const bin = join(dir, 'bin');
  const logFile = join(dir, 'log');
  mkdirSync(bin);
  mkdirSync(join(dir, 'unit-state'));
  writeFileSync(join(dir, 'default-state'), `${opts.defaultState ?? 'active'}\n`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    DP_STUB_LOG_QUERIES: opts.logQueries === false ? '0' : '1',
  };
  const host: StubHost = {
    dir,
    bin,
    logFile,
    env,
    stub(name, body) {
      writeFileSync(join(bin, name), `#!/bin/bash\nHOST=${JSON.stringify(dir)}\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    },
    calls: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean) : []),
    setUnit(unit, props) {
      writeFileSync(
        join(dir, 'unit-state', unit),
        Object.entries(props)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
    },
    setListUnits: (lines) => writeFileSync(join(dir, 'list-units'), lines.map((l) => `${l}\n`).join('')),
    run(script, extra = {}) {
      const r = spawnSync('bash', ['-s'], { input: script, encoding: 'utf8', env: { ...env, ...extra } });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    runAsync(script, extra = {}) {
      return new Promise((resolve) => {
        const child = spawn('bash', ['-s'], { env: { ...env, ...extra } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(script);
      });
    },
  };
  host.stub('sudo', '[ "$1" = -n ] && shift\nexec "$@"');
  host.stub('systemctl', SYSTEMCTL);
  host.stub('journalctl', 'echo "journalctl $*" >> "$HOST/log"\necho "journal lines of the unit"\ncat "$HOST/journal" 2>/dev/null\nexit 0');
  host.stub('systemd-run', 'echo "systemd-run $*" >> "$HOST/log"');
  return host;
}

/** A bash word for each argument (the tests' own quoting, kept apart from the code under test's). */
export const bashWords = (argv: string[]): string => argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
