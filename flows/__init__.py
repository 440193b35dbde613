"""Prefect flows: the deployment entrypoints and the CLI."""

from flows.logs import quiet_libraries
from tasks.errors import quiet_user_errors

# Workers import flows from here too: their logs show a user's mistake as one line, and no
# library chatter (before any flow module imports a model library).
quiet_user_errors()
quiet_libraries()
