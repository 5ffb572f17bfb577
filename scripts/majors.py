"""The two Airflow REST APIs this project generates a package for, and where each one's files live.

Airflow 2 serves ``/api/v1`` (spec ``v1.yaml`` in the ``apache-airflow`` wheel); Airflow 3 serves
``/api/v2`` (spec in the ``apache-airflow-core`` wheel, plus the simple auth manager's token
endpoint, which is merged into it). Everything else about a major is under ``spec/<api>/``:

    AIRFLOW_VERSION     the pinned release, set in this one place
    upstream/           the spec files exactly as that release ships them
    corrections.yaml    where the spec and a real server disagree, as data with evidence
    facts.yaml          server behaviour the spec does not say (what update_mask may name), with evidence
    generator.yaml      openapi-python-client's configuration
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Major:
    api: str  # "v1" or "v2": the URL segment and the package suffix
    airflow: int  # the Airflow major that serves it
    distribution: str  # the wheel the spec files come from
    members: tuple[str, ...]  # spec files in that wheel; the first is the API, the rest are merged in
    merged: tuple[tuple[str, str], ...] = ()  # (path, method) taken from the other files

    @property
    def package(self) -> str:
        return f"airflow_rest_{self.api}"

    @property
    def spec_dir(self) -> Path:
        return ROOT / "spec" / self.api

    @property
    def version_file(self) -> Path:
        return self.spec_dir / "AIRFLOW_VERSION"

    @property
    def upstream(self) -> tuple[Path, ...]:
        return tuple(self.spec_dir / "upstream" / Path(m).name for m in self.members)

    @property
    def corrections(self) -> Path:
        return self.spec_dir / "corrections.yaml"

    @property
    def facts(self) -> Path:
        return self.spec_dir / "facts.yaml"

    @property
    def target(self) -> Path:
        return ROOT / "generated" / self.package

    def merge(self, documents: list[dict[str, Any]]) -> dict[str, Any]:
        """One spec from the shipped files: the API's, with the ``merged`` operations of the others
        and the schemas they use. A schema both define differently stops the build."""
        spec = copy.deepcopy(documents[0])
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        wanted = set(self.merged)
        for other in documents[1:]:
            for path, item in other.get("paths", {}).items():
                for method, operation in item.items():
                    if (path, method) in wanted:
                        spec["paths"].setdefault(path, {})[method] = copy.deepcopy(operation)
                        wanted.discard((path, method))
            for name, schema in other.get("components", {}).get("schemas", {}).items():
                if name in schemas and schemas[name] != schema:
                    raise SystemExit(f"{self.api}: schema {name} differs between the shipped spec files")
                schemas.setdefault(name, copy.deepcopy(schema))
        if wanted:
            raise SystemExit(f"{self.api}: the shipped spec files have no {sorted(wanted)}")
        return spec

    def pinned_version(self) -> str:
        return self.version_file.read_text(encoding="utf-8").strip()

    def check_version(self, version: str) -> str:
        if not re.fullmatch(rf"{self.airflow}\.\d+\.\d+", version):
            raise SystemExit(
                f"{version!r} is not an Airflow {self.airflow}.x release such as {self.pinned_version()}"
            )
        return version


V1 = Major(
    api="v1",
    airflow=2,
    distribution="apache-airflow",
    members=("airflow/api_connexion/openapi/v1.yaml",),
)
V2 = Major(
    api="v2",
    airflow=3,
    distribution="apache-airflow-core",
    members=(
        "airflow/api_fastapi/core_api/openapi/v2-rest-api-generated.yaml",
        "airflow/api_fastapi/auth/managers/simple/openapi/v2-simple-auth-manager-generated.yaml",
    ),
    # the simple auth manager's token endpoints (the GETs are browser flows)
    merged=(("/auth/token", "post"), ("/auth/token/cli", "post")),
)
MAJORS = (V1, V2)


def for_version(version: str) -> Major:
    """The major whose Airflow releases ``version`` belongs to (2.x -> v1, 3.x -> v2)."""
    for major in MAJORS:
        if version.split(".", 1)[0] == str(major.airflow):
            major.check_version(version)
            return major
    raise SystemExit(f"no REST API of this project serves Airflow {version!r} (2.x and 3.x do)")


def by_api(api: str) -> Major:
    for major in MAJORS:
        if major.api == api:
            return major
    raise SystemExit(f"unknown API {api!r}: one of {', '.join(m.api for m in MAJORS)}")


def main(argv: list[str]) -> int:
    """``python scripts/majors.py pinned VERSION``: the pinned release of VERSION's major (for make)."""
    if len(argv) != 2 or argv[0] != "pinned":
        raise SystemExit("usage: majors.py pinned VERSION")
    print(for_version(argv[1]).pinned_version())
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
