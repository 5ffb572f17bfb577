"""Fetch an Airflow release's REST API spec from its wheel.

    python scripts/fetch_spec.py --version 2.11.2        # -> spec/v1/upstream/v1.yaml
    python scripts/fetch_spec.py --version 3.3.2         # -> spec/v2/upstream/*.yaml
    python scripts/fetch_spec.py --version 3.0.6 --out DIR

The version says the major (``scripts/majors.py``): 2.x takes ``v1.yaml`` from the apache-airflow
wheel, 3.x the v2 spec and the simple auth manager's token spec from the apache-airflow-core wheel.
The wheel is downloaded with pip (no dependencies) into a cache folder. With ``--out`` omitted the
files go to ``spec/<api>/upstream/`` and the version to ``spec/<api>/AIRFLOW_VERSION``, where each
major's pinned version is recorded.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from majors import ROOT, Major, for_version

CACHE = ROOT / ".cache" / "airflow-wheels"


def wheel_path(major: Major, version: str) -> Path:
    """Download (once) and return the wheel of ``major``'s distribution at ``version``."""
    major.check_version(version)
    name = f"{major.distribution.replace('-', '_')}-{version}-py3-none-any.whl"
    target = CACHE / name
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "--only-binary",
        ":all:",
        "--dest",
        str(CACHE),
        f"{major.distribution}=={version}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not target.exists():
        raise SystemExit(f"could not download {major.distribution}=={version}:\n{proc.stderr.strip()}")
    return target


def spec_texts(version: str) -> dict[str, str]:
    """File name -> text of each spec file that ``version``'s wheel ships for its major."""
    major = for_version(version)
    texts = {}
    with zipfile.ZipFile(wheel_path(major, version)) as zf:
        for member in major.members:
            try:
                texts[Path(member).name] = zf.read(member).decode("utf-8")
            except KeyError:
                raise SystemExit(f"{major.distribution} {version} has no {member}") from None
    return texts


def fetch(version: str, out: Path | None = None) -> list[Path]:
    """Write ``version``'s spec files into ``out`` (default: the major's upstream folder, recording
    the version as the pinned one)."""
    major = for_version(version)
    folder = out if out is not None else major.spec_dir / "upstream"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in spec_texts(version).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    if out is None:
        major.version_file.write_text(version + "\n", encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True, help="Airflow version, e.g. 2.11.2 or 3.3.2")
    parser.add_argument("--out", type=Path, default=None, help="write the files here instead of spec/")
    args = parser.parse_args(argv)
    for path in fetch(args.version, args.out):
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"Airflow {args.version}: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
