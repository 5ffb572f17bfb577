"""A spec-accurate fake Airflow for tests."""
