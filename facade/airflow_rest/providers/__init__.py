"""Getting a connected client where Airflow runs: Alibaba Cloud DMS, AWS MWAA, Google Cloud
Composer, Astronomer; remote CLI runners; the Airflow 1.x REST API plugin.

Each provider's SDK is an optional extra, imported only when its flow is used.
"""
