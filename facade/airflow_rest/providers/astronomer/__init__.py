"""Astronomer: a deployment's Airflow with an Astro API token as bearer, on Astro Runtime 2 and 3.

    from airflow_rest.providers import astronomer

    with astronomer.client("https://myorg.astronomer.run/d8fxz2a1", token=os.environ["ASTRO_API_TOKEN"]) as c:
        c.dag.get_dags(limit=5)

``client`` gives an ``AirflowClient`` on Airflow 2 and an ``Airflow3Client`` on Airflow 3:
``airflow_version`` when given, else the API path of the URL the Astro CLI prints (``/api/v1`` or
``/api/v2``), else asked of the deployment.
"""

from __future__ import annotations

from ._login import TOKEN_ENV, async_client, client

__all__ = ["TOKEN_ENV", "async_client", "client"]
