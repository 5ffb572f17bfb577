"""What the providers share: the session logins (also behind ``PasswordTokenAuth``), the remote CLI's
command checking, quoting and answers, and which Airflow major a provider's client speaks."""
