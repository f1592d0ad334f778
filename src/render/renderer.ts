// Handlebars, set up for config files: no HTML escaping, strict lookups, and
// quoting helpers for each target format. Pure: the caller passes a readFile
// function, so this module never touches the disk itself.
import type Handlebars from 'handlebars';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import type { Config } from '../config/types.js';
import { packageRoot } from '../packageRoot.js';
import { ConfigError } from '../errors.js';
import { caddyQuote, systemdEscape, systemdQuote, type SystemdQuoteContext } from './templateQuote.js';
import { precompiled } from './precompiled.js';

// Handlebars is CommonJS: require() loads its runtime now and, only for a
// template that was not precompiled, its compiler (synchronously, as render() is).
const require = createRequire(import.meta.url);
type Hbs = typeof Handlebars;
// The options every template is compiled with (scripts/precompile-templates.mjs uses the same).
const COMPILE_OPTIONS = { noEscape: true, strict: true };

export interface RendererOptions {
  /** Folder of the bundled templates (see bundledTemplatesDir()). */
  templatesDir: string;
  /** The app's `.deployer/` folder: a file of the same name there wins. */
  overrideDir?: string;
  /** Returns a file's text, or undefined when it does not exist. */
  readFile: (path: string) => string | undefined;
}

export interface Renderer {
  /** Renders a template by file name (e.g. "web.service.hbs") with a view model. */
  render(template: string, view: object): string;
  /** The path a template is read from: the override when there is one. */
  templatePath(template: string): string;
}

/** The app's override folder: `<config dir>/.deployer/`. */
export function overrideDirFor(config: Pick<Config, 'root'>): string {
  return join(config.root, '.deployer');
}

/** `templates/` at the package root. */
export function bundledTemplatesDir(): string {
  return join(packageRoot(), 'templates') + sep;
}

export function createRenderer(opts: RendererOptions): Renderer {
  const runtime = (require('handlebars/runtime') as Hbs).create();
  registerHelpers(runtime);
  let compiler: Hbs | undefined;
  const compile = (source: string) => {
    if (!compiler) {
      compiler = (require('handlebars') as Hbs).create();
      registerHelpers(compiler);
    }
    return compiler.compile(source, COMPILE_OPTIONS);
  };
  const compiled = new Map<string, { path: string; source: string; fn: Handlebars.TemplateDelegate }>();

  const load = (template: string) => {
    const cached = compiled.get(template);
    if (cached) return cached;
    const candidates = [opts.overrideDir, opts.templatesDir].filter((d): d is string => d !== undefined).map((d) => join(d, template));
    for (const path of candidates) {
      const source = opts.readFile(path);
      if (source === undefined) continue;
      // Built at build time from the same text: no compiler needed.
      const pre = precompiled[template];
      const fn = pre?.source === source ? runtime.template(pre.spec as Parameters<Hbs['template']>[0]) : compile(source);
      const entry = { path, source, fn };
      compiled.set(template, entry);
      return entry;
    }
    throw new ConfigError(`template ${template} not found (looked in ${candidates.join(', ')})`, {
      hint: 'reinstall deployer, or remove the broken override from .deployer/',
    });
  };

  return {
    templatePath: (template) => load(template).path,
    render(template, view) {
      const entry = load(template);
      try {
        return entry.fn(guardView(view));
      } catch (err) {
        throw explainTemplateError(err, entry.path, entry.source, view);
      }
    },
  };
}

function registerHelpers(hbs: typeof Handlebars): void {
  // Handlebars passes an options object last; drop it and stringify the rest.
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  hbs.registerHelper('systemdQuote', (value: unknown, ...rest: unknown[]) => {
    const context = rest.length > 1 ? (String(rest[0]) as SystemdQuoteContext) : 'env';
    if (context !== 'env' && context !== 'exec')
      throw new ConfigError(`systemdQuote: unknown context "${context}"`, { hint: 'use "env" or "exec"' });
    return systemdQuote(text(value), context);
  });
  hbs.registerHelper('systemdEscape', (value: unknown) => systemdEscape(text(value)));
  hbs.registerHelper('caddyQuote', (value: unknown) => caddyQuote(text(value)));
}

// Strict mode only guards `{{name}}`; `{{#if nmae}}` or a helper argument would
// silently read undefined. A proxy that throws on unknown keys closes that gap.
class MissingVariable extends Error {
  constructor(
    readonly variable: string,
    readonly known: string[],
  ) {
    super(`"${variable}" not defined`);
  }
}

function guardView(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(guardView);
  const target: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) target[k] = guardView(v);
  const check = (key: string | symbol) => {
    if (typeof key === 'string' && !(key in target)) throw new MissingVariable(key, Object.keys(target));
  };
  return new Proxy(target, {
    get: (t, k, r) => (check(k), Reflect.get(t, k, r)),
    has: (t, k) => (check(k), k in t),
    getOwnPropertyDescriptor: (t, k) => (check(k), Reflect.getOwnPropertyDescriptor(t, k)),
  });
}

function explainTemplateError(err: unknown, path: string, source: string, view: object): Error {
  if (err instanceof ConfigError) return err;
  if (err instanceof MissingVariable || (err instanceof Error && /^"[^"]+" not defined in/.test(err.message))) {
    const name = err instanceof MissingVariable ? err.variable : /^"([^"]+)"/.exec(err.message)![1];
    const known = err instanceof MissingVariable ? err.known : Object.keys(view);
    const line = findLine(source, name);
    return new ConfigError(`template ${path}${line ? ` line ${line}` : ''}: unknown variable "${name}"`, {
      hint: `fix the name in ${path}; variables available there: ${known.join(', ')}`,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ConfigError(`template ${path} is not valid Handlebars: ${message.split('\n')[0]}`, {
    hint: `fix the syntax in ${path}`,
    details: message,
    cause: err,
  });
}

/** The first line where `name` appears inside {{ }}, for the error message. */
function findLine(source: string, name: string): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`{{[^}]*(?<![\\w.-])${escaped}(?![\\w-])[^}]*}}`);
  const index = source.split('\n').findIndex((l) => re.test(l));
  return index < 0 ? undefined : index + 1;
}
