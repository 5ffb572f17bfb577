"""The same corrections re-apply to older Airflow 2.x specs, and what they generate imports.

Downloads the apache-airflow wheels (no dependencies) through pip, so it runs in `make test-regen`,
not with the offline unit tests. Output goes to a temporary folder; nothing is committed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import corrections  # noqa: E402
import fetch_spec  # noqa: E402
import generate  # noqa: E402

IMPORT_ALL = """
import importlib, pkgutil, sys
import airflow_rest_v1
assert airflow_rest_v1.__file__.startswith(sys.argv[1]), airflow_rest_v1.__file__
names = [m.name for m in pkgutil.walk_packages(airflow_rest_v1.__path__, "airflow_rest_v1.")]
for name in names:
    importlib.import_module(name)
from airflow_rest_v1 import _meta
print(len(names), _meta.AIRFLOW_VERSION)
"""


@pytest.mark.parametrize(("version", "operations"), [("2.8.4", 74), ("2.10.5", 89)])
def test_corrections_apply_and_output_imports(tmp_path: Path, version: str, operations: int) -> None:
    spec_path = tmp_path / "v1.yaml"
    spec_path.write_text(fetch_spec.spec_text(version), encoding="utf-8")
    out = tmp_path / "pkg" / generate.PACKAGE
    report = generate.build(spec_path, version, out)

    entries = corrections.load(ROOT / "spec" / "corrections.yaml")
    expected_skips = {e.id for e in entries if e.airflow and not e.applies_to(version)}
    assert set(report.skipped_version) == expected_skips
    effective = json.loads((out / "openapi.json").read_text(encoding="utf-8"))
    assert sum(1 for _ in corrections.operations(effective)) == operations
    modules = [p for p in out.glob("api/*/*.py") if p.name != "__init__.py"]
    assert len(modules) == operations

    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, str(out)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(out.parent), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    count, meta_version = proc.stdout.split()
    assert int(count) > operations and meta_version == version
