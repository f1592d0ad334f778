// Everything a command touches outside itself comes through here, so unit
// tests can pass fakes and the entry file is the only place that reads
// process state.
import { Reporter } from './output/reporter.js';

export interface GlobalOptions {
  config: string;
  stage?: string;
  host?: string[];
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  yes?: boolean;
}

export interface Context {
  cwd: string;
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  /** True when we may ask questions: stdin and stdout are TTYs and CI is not set. */
  interactive: boolean;
  global: GlobalOptions;
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI?.toLowerCase();
  return (ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false') || env.GITHUB_ACTIONS === 'true';
}

export function createContext(global: GlobalOptions, proc: NodeJS.Process = process): Context {
  const env = proc.env;
  const tty = Boolean(proc.stderr.isTTY) && !isCI(env);
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const reporter = new Reporter({
    json: global.json,
    verbose: global.verbose,
    tty,
    color: global.color !== false && !noColor && tty,
    github: env.GITHUB_ACTIONS === 'true',
  });
  return {
    cwd: proc.cwd(),
    env,
    reporter,
    interactive: Boolean(proc.stdin.isTTY && proc.stdout.isTTY) && !isCI(env),
    global,
  };
}
