"""Google Cloud Composer 2 and 3: the environment's Airflow web server with a Google access token.

    from airflow_rest.providers import composer

    with composer.client("https://abc-dot-europe-west1.composer.googleusercontent.com") as client:
        client.dag.get_dags(limit=5)                                   # needs airflow-rest[composer]

``client`` gives an ``AirflowClient`` on Airflow 2 and an ``Airflow3Client`` on Airflow 3:
``airflow_version`` when given, else asked of the web server. The login is :class:`GoogleAuth`.
"""

from __future__ import annotations

from ._login import CLOUD_PLATFORM_SCOPE, GoogleAuth, async_client, client

__all__ = ["CLOUD_PLATFORM_SCOPE", "GoogleAuth", "async_client", "client"]
