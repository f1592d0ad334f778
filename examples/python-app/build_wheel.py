#!/usr/bin/env python3
"""Builds dist/<name>-<version>-py3-none-any.whl from pyproject.toml with the
standard library only (this machine and the test hosts have no PyPI access,
so `pip wheel`/`build` cannot fetch a backend). Pure-Python packages in src/.

The wheel is reproducible: same sources, same bytes (fixed timestamps, sorted
entries), so deployer can skip uploading a release that is already there.
"""
import base64
import hashlib
import os
import time
import re
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# Zip cannot store dates before 1980; SOURCE_DATE_EPOCH is the usual override.
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))


def normalize(name: str) -> str:
    """Distribution name as it appears in wheel file names (PEP 427/503)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def metadata_files(project: dict, dist_info: str) -> dict[str, bytes]:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    wheel = ["Wheel-Version: 1.0", "Generator: build_wheel.py", "Root-Is-Purelib: true", "Tag: py3-none-any"]
    files = {
        f"{dist_info}/METADATA": ("\n".join(lines) + "\n").encode(),
        f"{dist_info}/WHEEL": ("\n".join(wheel) + "\n").encode(),
    }
    scripts = project.get("scripts", {})
    if scripts:
        entries = "".join(f"{name} = {target}\n" for name, target in sorted(scripts.items()))
        files[f"{dist_info}/entry_points.txt"] = f"[console_scripts]\n{entries}".encode()
    return files


def source_files(src: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[path.relative_to(src).as_posix()] = path.read_bytes()
    if not files:
        sys.exit(f"build_wheel.py: no package files under {src}")
    return files


def write_wheel(target: Path, files: dict[str, bytes], record_name: str) -> None:
    record = "".join(f"{name},{record_hash(data)},{len(data)}\n" for name, data in files.items())
    record += f"{record_name},,\n"
    files = {**files, record_name: record.encode()}
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():  # RECORD last, as installers expect
            info = zipfile.ZipInfo(name, date_time=max_date(EPOCH))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    tmp.replace(target)  # never leave a half-written wheel under the final name


def max_date(epoch: int) -> tuple:
    return time.gmtime(max(epoch, 315532800))[:6]


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dist_name = normalize(project["name"])
    version = project["version"]
    dist_info = f"{dist_name}-{version}.dist-info"
    files = source_files(ROOT / "src")
    files.update(metadata_files(project, dist_info))
    out_dir = ROOT / "dist"
    out_dir.mkdir(exist_ok=True)
    target = out_dir / f"{dist_name}-{version}-py3-none-any.whl"
    write_wheel(target, files, f"{dist_info}/RECORD")
    print(target.relative_to(ROOT))


if __name__ == "__main__":
    main()
