"""``python -m airflow_rest.testing serve --port N``: the fake Airflow as an HTTP server."""

import sys

from ._serve import main

sys.exit(main())
