"""What the integration suites of both majors share."""
