"""Fetch Airflow's REST API v1 spec from the apache-airflow wheel of a given version.

    python scripts/fetch_spec.py --version 2.11.2 [--out spec/upstream/v1.yaml]

The wheel is downloaded with pip (no dependencies) into a cache folder and
``airflow/api_connexion/openapi/v1.yaml`` is extracted from it. With ``--out``
omitted the spec is written to ``spec/upstream/v1.yaml`` and the version to
``spec/AIRFLOW_VERSION``, which is where the pinned version is recorded.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "airflow-wheels"
SPEC_MEMBER = "airflow/api_connexion/openapi/v1.yaml"
VERSION_FILE = ROOT / "spec" / "AIRFLOW_VERSION"
UPSTREAM = ROOT / "spec" / "upstream" / "v1.yaml"
_VERSION_RE = re.compile(r"^2\.\d+\.\d+$")


def pinned_version() -> str:
    """The Airflow version the committed spec comes from."""
    return VERSION_FILE.read_text(encoding="utf-8").strip()


def check_version(version: str) -> str:
    if not _VERSION_RE.match(version):
        raise SystemExit(f"AIRFLOW_VERSION must be an Airflow 2.x release such as 2.11.2, got {version!r}")
    return version


def wheel_path(version: str) -> Path:
    """Download (once) and return the apache-airflow wheel for ``version``."""
    check_version(version)
    name = f"apache_airflow-{version}-py3-none-any.whl"
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
        f"apache-airflow=={version}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not target.exists():
        raise SystemExit(f"could not download apache-airflow=={version}:\n{proc.stderr.strip()}")
    return target


def spec_text(version: str) -> str:
    """The text of ``v1.yaml`` as shipped in apache-airflow ``version``."""
    with zipfile.ZipFile(wheel_path(version)) as zf:
        try:
            return zf.read(SPEC_MEMBER).decode("utf-8")
        except KeyError:
            raise SystemExit(f"apache-airflow {version} has no {SPEC_MEMBER}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=None, help="Airflow version (default: spec/AIRFLOW_VERSION)")
    parser.add_argument("--out", type=Path, default=None, help="write the spec here instead of spec/upstream")
    args = parser.parse_args(argv)
    version = check_version(args.version or pinned_version())
    text = spec_text(version)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"apache-airflow {version}: {SPEC_MEMBER} -> {args.out}")
        return 0
    UPSTREAM.parent.mkdir(parents=True, exist_ok=True)
    UPSTREAM.write_text(text, encoding="utf-8")
    VERSION_FILE.write_text(version + "\n", encoding="utf-8")
    print(f"apache-airflow {version}: {SPEC_MEMBER} -> {UPSTREAM.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
