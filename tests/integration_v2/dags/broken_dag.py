"""A DAG file that fails to import, so the server has an import error to report.

Mentions airflow and DAG so that the DAG processor's safe mode tries to parse it.
"""

import this_module_does_not_exist  # noqa: F401
from airflow.sdk import DAG  # noqa: F401
