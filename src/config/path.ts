// A TOML path is a list of keys and array indexes: ['hosts', 0, 'port'].
// Messages print it the way a user would write it: hosts[0].port, with
// keys that are not bare TOML keys quoted (webserver.statics."/static").

export type PathSegment = string | number;
export type TomlPath = readonly PathSegment[];

const BARE = /^[A-Za-z0-9_-]+$/;

export function formatPath(path: TomlPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += (out ? '.' : '') + (BARE.test(seg) ? seg : JSON.stringify(seg));
  }
  return out;
}

/** A stable map key for a path (keys and indexes cannot be confused). */
export function pathKey(path: TomlPath): string {
  return JSON.stringify(path);
}

/** The last key of a path, skipping array indexes (domains[1] -> "domains"). */
export function lastKey(path: TomlPath): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i];
    if (typeof seg === 'string') return seg;
  }
  return '';
}
