"""Prefect flows: the deployment entrypoints and the CLI."""

from tasks.errors import quiet_user_errors

# Workers import flows from here too: their logs show a user's mistake as one line.
quiet_user_errors()
