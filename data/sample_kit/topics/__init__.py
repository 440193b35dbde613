"""The help-centre articles, one function per topic family, each adding documents to a Corpus.

``FAMILIES`` is the order the families run in; it fixes the RNG draws, so it fixes the output.
"""

from __future__ import annotations

from .access import login, security, sso
from .apps import desktop, mobile, notifications
from .collaboration import editor, sharing, tasks
from .developers import api, integrations
from .files import export_import, search, templates
from .more_apps import more_apps_and_workspace
from .more_files import more_files_and_accounts
from .plans import billing, limits
from .troubleshooting import errors, sync_offline
from .workspace import account, admin, assist, release_notes

FAMILIES = (
    export_import,
    errors,
    login,
    sso,
    billing,
    limits,
    sync_offline,
    sharing,
    mobile,
    desktop,
    integrations,
    api,
    admin,
    security,
    notifications,
    search,
    templates,
    tasks,
    editor,
    assist,
    account,
    release_notes,
    more_files_and_accounts,
    more_apps_and_workspace,
)

__all__ = ["FAMILIES"]
