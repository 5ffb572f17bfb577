"""A spec-accurate fake Airflow for tests: what it accepts and answers is checked against the
corrected spec, and it keeps state like the real server.

- ``airflow_fake``: the pytest fixture (installed with the package; needs ``airflow-rest[testing]``).
- :class:`Oracle`: the same, by hand: ``httpx.MockTransport(oracle.handle)`` or ``oracle.transport()``.
- ``python -m airflow_rest.testing serve --port N``: the same over HTTP on 127.0.0.1.
"""

from ._oracle import Exchange, Oracle, SpecViolationError
from ._spec import Spec, Violation
from .fake import Call, FakeAirflow, FakeDag, FakeTask, dataset_example_dags, default_dags

__all__ = [
    "Call",
    "Exchange",
    "FakeAirflow",
    "FakeDag",
    "FakeTask",
    "Oracle",
    "Spec",
    "SpecViolationError",
    "Violation",
    "dataset_example_dags",
    "default_dags",
]
