// Step 2 of a deploy: turn `KEY=$NAME` references into values with the
// configured adapter. Every reference is looked up at once (each vendor CLI
// call costs about a second); the same NAME is looked up only once. Errors
// name the key, the reference and the adapter, and are scrubbed of every
// value that did resolve, in case a CLI echoed one into its stderr.
import type { SecretAdapterName } from '../config/types.js';
import { LocalCommandError } from '../errors.js';
import { Redactor } from '../output/redact.js';
import { createAdapter, SecretLookupError, type RunCommand } from './adapters/index.js';
import type { EnvEntry } from './envText.js';
import { readEnvValue } from './reference.js';

export interface ResolveEnvOptions {
  adapter: SecretAdapterName;
  options: Record<string, string>;
  jsonEnv?: string;
  env: NodeJS.ProcessEnv;
  runCommand: RunCommand;
}

export interface ResolvedEnv {
  entries: EnvEntry[];
  /** Every resolved value: register each with the Redactor before printing anything. */
  secrets: string[];
}

interface Failure {
  message: string;
  hint?: string;
}

export async function resolveEnv(entries: readonly EnvEntry[], opts: ResolveEnvOptions): Promise<ResolvedEnv> {
  const values = entries.map((e) => readEnvValue(e.value));
  const names = new Set<string>();
  for (const v of values) if (v.kind === 'reference') names.add(v.name);
  if (names.size === 0) {
    return { entries: entries.map((e, i) => ({ key: e.key, value: literal(values[i]) })), secrets: [] };
  }

  const adapter = createAdapter(opts.adapter, opts);
  const lookups = new Map<string, Promise<string>>();
  // Start every lookup before awaiting any: this is the parallelism.
  for (const name of names)
    lookups.set(
      name,
      Promise.resolve().then(() => adapter.resolve(name)),
    );
  const settled = new Map<string, PromiseSettledResult<string>>();
  await Promise.all([...lookups].map(async ([name, p]) => settled.set(name, await settle(p))));

  const secrets = new Set<string>();
  for (const r of settled.values()) if (r.status === 'fulfilled' && r.value !== '') secrets.add(r.value);

  const failures: Failure[] = [];
  const resolved: EnvEntry[] = entries.map((e, i) => {
    const v = values[i];
    if (v.kind === 'literal') return { key: e.key, value: v.value };
    const r = settled.get(v.name)!;
    const where = `cannot resolve ${e.key}=${v.raw} with the ${opts.adapter} adapter`;
    if (r.status === 'rejected') {
      failures.push({ message: `${where}: ${reasonOf(r.reason)}`, hint: hintOf(r.reason) });
    } else if (r.value === '') {
      failures.push({
        message: `${where}: it resolved to an empty value`,
        hint: `write ${e.key}= without a reference for an empty value on purpose (in GitHub Actions, a secret that does not exist expands to an empty string)`,
      });
    }
    return { key: e.key, value: r.status === 'fulfilled' ? r.value : '' };
  });
  if (failures.length > 0) throw toError(failures, [...secrets]);
  return { entries: resolved, secrets: [...secrets] };
}

function literal(v: ReturnType<typeof readEnvValue>): string {
  return v.kind === 'literal' ? v.value : '';
}

async function settle<T>(p: Promise<T>): Promise<PromiseSettledResult<T>> {
  try {
    return { status: 'fulfilled', value: await p };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hintOf(err: unknown): string | undefined {
  return err instanceof SecretLookupError ? err.hint : undefined;
}

/** One error for all failures: the first as the message, all of them listed when there are several. */
function toError(failures: Failure[], secrets: string[]): LocalCommandError {
  const redactor = new Redactor();
  for (const s of secrets) redactor.add(s);
  const [first] = failures;
  const details = failures.length > 1 ? failures.map((f) => `- ${f.message}`).join('\n') : undefined;
  return new LocalCommandError(redactor.redact(first.message), {
    hint: first.hint === undefined ? undefined : redactor.redact(first.hint),
    details: details === undefined ? undefined : redactor.redact(details),
  });
}
