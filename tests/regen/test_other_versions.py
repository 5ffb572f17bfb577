"""Each major's corrections re-apply to older releases' specs, and what they generate imports.

Downloads the Airflow wheels (no dependencies) through pip, so it runs in `make test-regen`, not
with the offline unit tests. Output goes to a temporary folder; nothing is committed.

For Airflow 3 it also recomputes, from the 3.0, 3.1 and 3.2 specs, which fields the pinned spec
requires that those servers do not send yet, and checks that the `fields-older-servers-omit`
correction makes exactly those optional: the generated v2 models must parse every 3.x server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import corrections  # noqa: E402
import fetch_spec  # noqa: E402
import generate  # noqa: E402
from majors import V1, V2, Major, for_version  # noqa: E402

IMPORT_ALL = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[2])
assert package.__file__.startswith(sys.argv[1]), package.__file__
names = [m.name for m in pkgutil.walk_packages(package.__path__, sys.argv[2] + ".")]
for name in names:
    importlib.import_module(name)
meta = importlib.import_module(sys.argv[2] + "._meta")
print(len(names), meta.AIRFLOW_VERSION)
"""
OLDER_3X = ("3.0.6", "3.1.8", "3.2.2")


def shipped(version: str) -> dict[str, Any]:
    major = for_version(version)
    return major.merge([yaml.safe_load(text) for text in fetch_spec.spec_texts(version).values()])


@pytest.mark.parametrize(
    ("version", "operations"),
    [("2.8.4", 74), ("2.10.5", 89), ("3.0.6", 101), ("3.1.8", 110), ("3.2.2", 112)],
)
def test_corrections_apply_and_output_imports(tmp_path: Path, version: str, operations: int) -> None:
    major: Major = for_version(version)
    out = tmp_path / "pkg" / major.package
    report = generate.build(major, shipped(version), version, out)

    entries = corrections.load(major.corrections)
    expected_skips = {e.id for e in entries if e.airflow and not e.applies_to(version)}
    assert set(report.skipped_version) == expected_skips
    effective = json.loads((out / "openapi.json").read_text(encoding="utf-8"))
    assert sum(1 for _ in corrections.operations(effective)) == operations
    modules = [p for p in out.glob("api/*/*.py") if p.name != "__init__.py"]
    assert len(modules) == operations

    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, str(out), major.package],
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


def test_v1_pin_and_v2_pin_are_the_majors_newest_known_releases() -> None:
    assert V1.pinned_version() == "2.11.2" and V2.pinned_version() == "3.3.2"


def test_fields_older_3x_servers_omit_are_optional() -> None:
    pinned = shipped(V2.pinned_version())["components"]["schemas"]
    lacking: dict[str, set[str]] = {}
    for version in OLDER_3X:
        older = shipped(version)["components"]["schemas"]
        for name, schema in pinned.items():
            if name in older:
                absent = set(schema.get("required", [])) - set(older[name].get("properties", {}))
                if absent:
                    lacking.setdefault(name, set()).update(absent)
    (entry,) = [e for e in corrections.load(V2.corrections) if e.id == "fields-older-servers-omit"]
    covered = {op["path"].rsplit("/", 1)[1]: set(op["fields"]) for op in entry.ops}
    missing = {
        name: sorted(f - covered.get(name, set()))
        for name, f in lacking.items()
        if f - covered.get(name, set())
    }
    stale = {
        name: sorted(f - lacking.get(name, set()))
        for name, f in covered.items()
        if f - lacking.get(name, set())
    }
    assert (missing, stale) == ({}, {}), (
        f"spec/v2/corrections.yaml fields-older-servers-omit is out of date; add {missing}, drop {stale}"
    )
