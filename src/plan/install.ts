// The install of a release in prepare: a virtual environment with the wheel
// (uv when the host has it; or the live release's venv copied when the
// dependencies are the same), or the binary made executable. Skipped when
// the release records the same install already. Pure.
import { createHash } from 'node:crypto';
import type { Config } from '../config/types.js';
import type { ReleaseFile, ReleasePlace } from './deployInput.js';
import type { Step } from '../remote/steps.js';

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** What `.deployer/installed` holds once a release is installed: changes when the install would. */
export function installStamp(files: ReleaseFile[], config: Config): string {
  const relevant = files.filter((f) => f.label === 'artifact' || f.path === 'requirements.txt' || f.path.startsWith('wheels/'));
  const lines = relevant.map((f) => `${f.path} ${f.sha256}`).sort();
  return [`mode ${config.installationMode}`, ...lines].join('\n') + '\n';
}

export interface InstallPlan {
  steps: Step[];
  skipped: boolean;
  /** The live release's venv was copied (dependencies unchanged); only the app was reinstalled. */
  venvReused: boolean;
}

export function planInstall(p: ReleasePlace): InstallPlan {
  const stamp = installStamp(p.files, p.config);
  if (p.state.releaseFiles['.deployer/installed'] === sha256(stamp)) return { steps: [], skipped: true, venvReused: false };
  const { steps, venvReused } =
    p.config.installationMode === 'python-package' ? pythonInstall(p) : { steps: binaryInstall(p), venvReused: false };
  steps.push({ kind: 'write', path: `${p.L.metaDir(p.version)}/installed`, mode: '0644', content: stamp });
  return { steps, skipped: false, venvReused };
}

function binaryInstall(p: ReleasePlace): Step[] {
  return [
    { kind: 'run', argv: ['chmod', '0755', `${p.dir}/${p.artifact}`], desc: 'make the binary executable' },
    { kind: 'symlink', target: p.artifact, path: `${p.dir}/app_binary` },
  ];
}

/** The dependency files of a release (path -> sha256), as one comparable text. */
function depsOf(files: Record<string, string>): string {
  return Object.entries(files)
    .filter(([path]) => path === 'requirements.txt' || path.startsWith('wheels/'))
    .map(([path, hash]) => `${path} ${hash}`)
    .sort()
    .join('\n');
}

function pythonInstall(p: ReleasePlace): { steps: Step[]; venvReused: boolean } {
  const R = p.dir;
  const venv = `${R}/.venv`;
  const offline = p.files.some((f) => f.path.startsWith('wheels/')) ? ['--no-index', '--find-links', `${R}/wheels`] : [];
  const hasReq = p.files.some((f) => f.path === 'requirements.txt');
  const wheel = `${R}/${p.artifact}`;
  const steps: Step[] = [{ kind: 'remove', paths: [venv] }];
  // Hot swap: when the dependencies are the live release's, copy its venv
  // and reinstall only the app's wheel instead of building a new one.
  const wanted = Object.fromEntries(p.files.map((f) => [f.path, f.sha256]));
  const venvReused = Boolean(p.liveDir && p.state.currentVenv && depsOf(wanted) === depsOf(p.state.currentFiles ?? {}));
  if (venvReused) {
    steps.push(
      {
        kind: 'run',
        argv: ['cp', '-a', '--', `${p.liveDir}/.venv`, venv],
        desc: 'reuse the live virtual environment (dependencies unchanged)',
      },
      {
        kind: 'run',
        argv: ['dp_relocate_venv', `${p.liveDir}/.venv`, venv],
        desc: 'point the copied virtual environment at its new place',
      },
      {
        kind: 'run',
        argv: [`${venv}/bin/python`, '-m', 'pip', 'install', '--quiet', '--no-deps', '--force-reinstall', ...offline, wheel],
        desc: `install ${p.artifact} (dependencies reused)`,
      },
    );
  } else if (p.state.hasUv) {
    steps.push({ kind: 'run', argv: ['uv', 'venv', '--quiet', venv], desc: 'create the virtual environment (uv)' });
    const pip = ['uv', 'pip', 'install', '--quiet', '--python', `${venv}/bin/python`, ...offline];
    if (hasReq) steps.push({ kind: 'run', argv: [...pip, '-r', `${R}/requirements.txt`], desc: 'install requirements (uv)' });
    steps.push({ kind: 'run', argv: [...pip, wheel], desc: `install ${p.artifact} (uv)` });
  } else {
    steps.push({ kind: 'run', argv: ['python3', '-m', 'venv', venv], desc: 'create the virtual environment' });
    const pip = [`${venv}/bin/python`, '-m', 'pip', 'install', '--quiet', ...offline];
    if (hasReq) steps.push({ kind: 'run', argv: [...pip, '-r', `${R}/requirements.txt`], desc: 'install requirements' });
    steps.push({ kind: 'run', argv: [...pip, wheel], desc: `install ${p.artifact}` });
  }
  return { steps, venvReused };
}
