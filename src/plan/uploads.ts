// The files of a release in prepare: only those whose sha256 differs from
// what the release dir holds travel; the ones the live release has with the
// same bytes are copied on the host (one `cp` for all), the rest uploaded
// into .incoming/, verified, then moved into place. Pure.
import type { ReleasePlace } from './deployInput.js';
import type { Step, Upload } from '../remote/steps.js';

export interface UploadsPlan {
  uploads: Upload[];
  /** Labels of files already on the host with the same sha256. */
  unchanged: string[];
  /** Labels of files copied from the live release on the host instead of uploaded. */
  copied: string[];
  steps: Step[];
}

export function planUploads(p: ReleasePlace): UploadsPlan {
  const { dir: R, state, liveDir } = p;
  const incoming = p.L.incomingDir(p.version);
  const plan: UploadsPlan = { uploads: [], unchanged: [], copied: [], steps: [] };
  const made = new Set<string>();
  const mkdirOnce = (dir: string) => {
    if (made.has(dir)) return;
    plan.steps.push({ kind: 'mkdir', path: dir });
    made.add(dir);
  };
  const copies: string[] = [];
  p.files.forEach((f, i) => {
    if (state.releaseFiles[f.path] === f.sha256) {
      plan.unchanged.push(f.label);
      return;
    }
    if (liveDir && state.currentFiles?.[f.path] === f.sha256) {
      copies.push(f.path);
      plan.copied.push(f.label);
      return;
    }
    const remote = `${incoming}/${i}-${f.path.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    const { local, content, secret, sha256, size, mode, label } = f;
    plan.uploads.push({ local, content, secret, remote, sha256, size, mode, label });
    mkdirOnce(f.path.includes('/') ? `${R}/${f.path.slice(0, f.path.lastIndexOf('/'))}` : R);
    plan.steps.push({ kind: 'verify-sha256', path: remote, sha256: f.sha256 }, { kind: 'move', from: remote, to: `${R}/${f.path}` });
  });
  if (copies.length && liveDir) {
    mkdirOnce(R);
    const what = plan.copied.length === 1 ? plan.copied[0] : `${plan.copied.length} unchanged files`;
    plan.steps.push({ kind: 'run', argv: ['dp_copy_files', liveDir, R, ...copies], desc: `copy ${what} from the live release` });
  }
  if (plan.uploads.length) plan.steps.push({ kind: 'remove', paths: [incoming] });
  return plan;
}
