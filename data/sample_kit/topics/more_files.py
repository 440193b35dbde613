"""Second-pass articles on files, sign-in and billing."""

from __future__ import annotations

from ..corpus import Corpus


def more_files_and_accounts(c: Corpus) -> None:
    """Second-pass articles on files, sign-in and billing: near neighbours for the queries."""
    c.add(
        "export/board-pdf",
        "Export a board as PDF",
        "Board views export as a one-page PDF snapshot of the columns and cards from ••• > "
        "Export > PDF. [Card descriptions aren't included; use CSV export for the full task "
        "data.|For every field of every task, export the board to CSV instead.]",
    )
    c.add(
        "export/page-markdown",
        "Copy a single page as Markdown",
        "Choose ••• > Copy as Markdown to put the current page on your clipboard as Markdown "
        "text. [Attachments are copied as links, not files.|Images and files become links.] "
        "For a whole notebook with attachments, use Export > Markdown.",
    )
    c.add(
        "export/pdf-missing-images",
        "Images are missing from my PDF export",
        "Images from Google Drive, Dropbox or other embeds can't be printed into a PDF and show "
        "as links instead. Images uploaded to Lumio should appear; if they don't, [wait until "
        "the page finishes syncing and export again.|make sure every attachment has finished "
        "uploading before exporting.]",
    )
    c.add(
        "export/too-large",
        "Export fails or never finishes",
        "Exports of notebooks with many gigabytes of attachments can time out in the browser. "
        "[Run the export from the desktop app, or export the notebook in smaller "
        "parts.|Use the desktop app for very large exports, or split the notebook first.]",
    )
    c.add(
        "import/google-docs",
        "Import Google Docs",
        "Connect Google Drive under Settings > Import > Google Docs and pick documents or a "
        "whole folder. Docs become editable Lumio pages; [Sheets and Slides are embedded "
        "rather than converted.|spreadsheets and presentations are added as live embeds.]",
    )
    c.add(
        "import/apple-notes",
        "Import from Apple Notes",
        "The Mac desktop app can read Apple Notes directly: choose File > Import > Apple Notes "
        "and allow access when macOS asks. [Locked notes must be unlocked in Apple Notes "
        "first.|Password-protected notes are skipped unless you unlock them.]",
    )
    c.add(
        "import/trello",
        "Import Trello boards",
        "Export a board from Trello as JSON, then use Settings > Import > Trello. Lists become "
        "board columns, cards become tasks, and [checklists turn into subtasks.|card checklists "
        "arrive as subtasks.] Members are matched by email.",
    )
    c.add(
        "login/reset-email-missing",
        "The password reset email never arrives",
        "Reset emails come from no-reply@lumio.app within a couple of minutes. Check spam, and "
        "make sure you typed the address you signed up with. [If your workspace uses SSO, no "
        "email is sent at all.|Workspaces on SSO don't send reset emails.]",
    )
    c.add(
        "login/new-device",
        "Confirming sign-in on a new device",
        "The first time you sign in on a new computer or phone, we may email you a confirmation "
        "link. [This helps stop someone who learned your password from getting in.|It's an "
        "extra check in case your password leaked.] Two-factor authentication replaces this "
        "check.",
    )
    c.add(
        "login/sign-out-all",
        "Sign out of every device",
        "Go to Settings > Account > Sessions to see where you're signed in, and click Sign out "
        "of all other sessions. [Use it if you lost a laptop or phone.|It's the first thing to "
        "do after losing a device.]",
    )
    c.add(
        "error/E-408",
        "Error E-408: upload timed out",
        "E-408 means an attachment upload took too long, usually on a slow or unstable "
        "connection. Lumio retries in the background; [if it keeps failing, try again on a "
        "faster network.|on poor connections, wait for Wi-Fi and retry.]",
    )
    c.add(
        "error/E-422",
        "API error E-422: invalid request body",
        "The API returns E-422 when the JSON is valid but a field is wrong, such as a due_date "
        "that isn't an ISO 8601 date or an unknown board_id. The response's errors array [names "
        "each invalid field.|lists the fields that failed validation.]",
    )
    c.add(
        "error/E-1004",
        "Error E-1004: this version of Lumio is too old",
        "Very old app versions can no longer talk to the sync service and show E-1004. Update "
        "from the App Store, Google Play or lumio.app/download. [Your offline edits are kept and "
        "upload after the update.|Local changes sync once you're on the new version.]",
    )
    c.add(
        "error/E-2013",
        "Error E-2013: this workspace requires SSO",
        "You see E-2013 when you try to sign in with a password or Google, but your workspace "
        "requires single sign-on. Click Continue with SSO and enter your work email; [you'll be "
        "sent to your company's login page.|your identity provider handles the rest.]",
    )
    c.add(
        "billing/charged-twice",
        "Why do I see two charges?",
        "When you change cards or upgrade, your bank may show a temporary authorisation next to "
        "the real charge. [The hold disappears within a few days.|Banks usually release it in "
        "three to five days.] Only the charges listed under Invoices are final.",
    )
    c.add(
        "billing/annual-to-monthly",
        "Switching from annual to monthly billing",
        "You can switch an annual plan to monthly, but the change takes effect at your next "
        "renewal date. [Annual payments aren't partially refunded.|The remaining months of the "
        "annual term aren't refunded.]",
    )
    c.add(
        "billing/enterprise-seats",
        "Adding seats to an Enterprise contract",
        "Enterprise workspaces can add members beyond the contracted seats at any time. "
        "[Extra seats are counted each quarter and invoiced at your contract price.|We true up "
        "additional seats quarterly at the agreed rate.]",
    )
