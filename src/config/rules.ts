// Value rules too specific for a pattern: where an app may live on a host, which
// artifact names are deployer's own, what an address may look like. Each returns
// the problem and its fix, or undefined; schema.ts attaches them to keys.
import { posix } from 'node:path';
import type { RuleFailure } from './schema.js';

/** Directories the system owns outright: neither they nor anything below them may hold apps. */
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/lost+found',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/snap',
  '/sys',
  '/usr',
];
/** Below /usr only /usr/local/<own dir> is the administrator's, and not its standard subdirectories. */
const USR_LOCAL_STANDARD = ['bin', 'etc', 'games', 'include', 'lib', 'libexec', 'man', 'sbin', 'share', 'src'];
/** Shared directories that hold other things: an apps dir may live below them, never be one. */
const SHARED_DIRS = [
  '/',
  '/home',
  '/media',
  '/mnt',
  '/opt',
  '/tmp',
  '/var',
  '/var/backups',
  '/var/cache',
  '/var/lib',
  '/var/local',
  '/var/lock',
  '/var/log',
  '/var/mail',
  '/var/opt',
  '/var/spool',
  '/var/tmp',
  '/var/www',
  '/usr/local',
];
/** deployer's own default apps dir: an app dir there would hold every other app. */
const DEFAULT_APPS_DIR = '/srv/deployer';

/** `/srv//a/./b/` -> `/srv/a/b`. */
export function normalizeDir(path: string): string {
  const out = posix.normalize(path).replace(/\/+$/, '');
  return out === '' ? '/' : out;
}

/** Why a directory deployer would create and delete is a system one, or undefined. */
export function systemDirReason(path: string): string | undefined {
  const dir = normalizeDir(path);
  if (SHARED_DIRS.includes(dir)) return `${dir} is a system directory that holds more than this app`;
  const tree = SYSTEM_TREES.find((t) => dir === t || dir.startsWith(t + '/'));
  if (tree === undefined) return undefined;
  const local = /^\/usr\/local\/([^/]+)/.exec(dir);
  if (local && !USR_LOCAL_STANDARD.includes(local[1])) return undefined;
  return `${dir} is inside ${tree}, which the operating system owns`;
}

export function checkAppsDir(value: string): RuleFailure | undefined {
  const reason = systemDirReason(value);
  if (reason === undefined) return undefined;
  return {
    problem: `must be a directory of its own for deployer's apps, but ${reason} (deployer creates and deletes app directories in it)`,
    fix: `write apps_dir = "${DEFAULT_APPS_DIR}" (the default), or another directory only deployer uses`,
  };
}

/** The app directory itself (<apps_dir>/<app>[-<stage>]) must not be a system or shared directory either. */
export function appDirReason(appsDir: string, appName: string): string | undefined {
  const dir = normalizeDir(`${appsDir}/${appName}`);
  if (dir.split('/').length <= 2) return `${dir} is a top-level directory`;
  if (dir === DEFAULT_APPS_DIR) return `${dir} is deployer's default apps dir, holding every other app and deployer's .deployer state`;
  return systemDirReason(dir);
}

/** Names deployer itself writes in a release directory (and the app dir around it). */
export const RESERVED_RELEASE_NAMES = [
  '.env',
  '.appenv',
  '.venv',
  '.deployer',
  '.incoming',
  '.versions',
  'app_binary',
  'requirements.txt',
  'wheels',
  'current',
];

export function checkDistfile(value: string): RuleFailure | undefined {
  const base = value.split('/').pop() ?? value;
  if (base === '' || base === '.' || base === '..') {
    return { problem: 'must name a file, not a directory', fix: 'write distfile = "dist/myapp-{version}-py3-none-any.whl"' };
  }
  if (RESERVED_RELEASE_NAMES.includes(base) || base.startsWith('.')) {
    return {
      problem: `names the artifact ${JSON.stringify(base)}, which collides with deployer's own files in the release (${RESERVED_RELEASE_NAMES.join(', ')} and other dot-files)`,
      fix: 'rename the built file, e.g. distfile = "dist/myapp"',
    };
  }
  return undefined;
}

export function checkHostAddress(value: string): RuleFailure | undefined {
  // host:port, but not a bare IPv6 address (which has several colons).
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
  if (m) {
    const host = m[1].replace(/^\[|\]$/g, '');
    return { problem: 'holds a port; the address is the host alone', fix: `write address = "${host}" and port = ${m[2]}` };
  }
  if (/^\[.*\]$/.test(value)) return { problem: 'is an IPv6 address in brackets', fix: `write address = "${value.slice(1, -1)}"` };
  return undefined;
}

// A Caddy site address: [http(s)://][host][:port][/path]. The host is a name
// (letters of any script, digits, `-`, `_`, `*` for wildcards, an optional
// final dot), an IPv4 address or an [IPv6] one; a bare `:port` is the
// catch-all site. Nothing else may appear: the address starts a site block,
// so a line break, a brace, a quote, a comma or a `#` would end it and let the
// rest of the value write directives of its own (a second site serving `/`).
const SITE_HOST = String.raw`(?:\[[0-9A-Fa-f:.]+\]|[\p{L}\p{N}_*-]+(?:\.[\p{L}\p{N}_*-]+)*\.?)`;
const SITE_ADDRESS = new RegExp(
  String.raw`^(?:https?:\/\/)?(?<host>${SITE_HOST})?(?::(?<port>\d{1,5}))?(?:\/[\p{L}\p{N}._~%/*+-]*)?$`,
  'iu',
);
const SITE_EXAMPLES = '"example.com", "*.example.com", "http://shop.localhost", "https://example.com:8443" or ":80"';

/** One item of webserver.domains or hosts[].domains (schema.ts; checked again before a Caddy site is rendered). */
export function checkSiteAddress(value: string): RuleFailure | undefined {
  const m = SITE_ADDRESS.exec(value);
  if (m && (m.groups?.host !== undefined || m.groups?.port !== undefined)) {
    const port = m.groups?.port === undefined ? undefined : Number(m.groups.port);
    if (port === undefined || (port >= 1 && port <= 65535)) return undefined;
    return { problem: `has port ${port}, outside 1 to 65535`, fix: `write a port from 1 to 65535, e.g. domains = ["example.com:8443"]` };
  }
  const what = /[\r\n]/.test(value)
    ? 'contains a line break (Caddy would read what follows it as directives of the site)'
    : /[{}"'`#\\;]/.test(value)
      ? 'contains a quote, brace, #, ; or backslash (Caddyfile syntax, not part of an address)'
      : /[\s,]/.test(value.trim())
        ? 'holds more than one address (a space or comma)'
        : 'is not a site address';
  const parts = value.split(/[\s,]+/).filter((p) => p !== '');
  const fix =
    parts.length > 1 && parts.every((p) => checkSiteAddress(p) === undefined)
      ? `write one address per item: domains = [${parts.map((p) => JSON.stringify(p)).join(', ')}]`
      : `write one site address per item, like ${SITE_EXAMPLES}, e.g. domains = ["example.com"]`;
  return {
    problem: `${what}: each item must be one site address, [http(s)://]host[:port], without spaces, quotes, braces, commas or #`,
    fix,
  };
}

/** A port the web command binds itself: the number, the word it is in, and the command with `$PORT` in its place. */
export interface FixedPort {
  port: number;
  word: string;
  fixed: string;
}

// Options whose value is an address or a port (gunicorn -b/--bind, uvicorn --port,
// waitress --listen, busybox httpd -p, uwsgi --http …); `-p` alone also takes a port.
const ADDRESS_OPTION = /^--?([\w-]*port|p|b|bind|l|listen|addr|address|http|http-socket|socket)$/i;

/** The port in an address-like value: "8000", "127.0.0.1:8000", "tcp://[::1]:8000/". */
function portOf(value: string): number | undefined {
  const m = /^(\d+)$/.exec(value) ?? /:(\d+)\/?$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/**
 * Under blue-green each web instance gets its own port in PORT: a command
 * that binds one of the slots' ports itself, and never mentions PORT, starts
 * every instance on that one port, and the second slot can never bind it.
 * Returns the first such port, or undefined. `slotPorts` may also be a test.
 */
export function fixedPortIn(command: string, slotPorts: readonly number[] | ((port: number) => boolean)): FixedPort | undefined {
  const wanted = typeof slotPorts === 'function' ? slotPorts : (p: number) => slotPorts.includes(p);
  if (/(^|[^\w])PORT([^\w]|$)/.test(command)) return undefined;
  const words = [...command.matchAll(/\S+/g)];
  const bare = (w: string) => w.replace(/["']/g, '');
  for (let i = 0; i < words.length; i++) {
    const word = bare(words[i][0]);
    const prev = i > 0 ? bare(words[i - 1][0]) : '';
    const eq = /^(--?[\w-]+)=(.*)$/.exec(word);
    const candidates = [
      ADDRESS_OPTION.test(prev) ? portOf(word) : undefined,
      eq && ADDRESS_OPTION.test(eq[1]) ? portOf(eq[2]) : undefined,
      /^-p(\d+)$/.exec(word)?.[1] !== undefined ? Number(word.slice(2)) : undefined,
      /:(\d+)\/?$/.test(word) ? portOf(word.replace(/^[^=]*=/, '')) : undefined,
    ];
    const port = candidates.find((p) => p !== undefined && wanted(p));
    if (port === undefined) continue;
    const raw = words[i][0];
    const start = (words[i].index ?? 0) + raw.lastIndexOf(String(port));
    // The option in front of a bare value is part of what the user recognises.
    const shown = candidates[0] === port && portOf(word) !== undefined && /^\d+$/.test(word) ? `${words[i - 1][0]} ${raw}` : raw;
    return { port, word: shown, fixed: command.slice(0, start) + '$PORT' + command.slice(start + String(port).length) };
  }
  return undefined;
}

/** Roles are names, matched exactly: --role, completion and messages print them as written. */
export function checkRoleName(value: string): RuleFailure | undefined {
  if (/^[a-z0-9][a-z0-9_-]*$/.test(value)) return undefined;
  return {
    problem: 'is not a role name (lowercase letters, digits, "-" and "_", starting with a letter or digit)',
    fix: 'write roles = ["web", "worker"]',
  };
}
