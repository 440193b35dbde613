#!/usr/bin/env python3
"""Generate rerankflow's sample dataset: help-centre docs for a fictional app, labelled queries.

The product is "Lumio", an invented team note-taking and task app. Every document and query is
written by this script from hand-written templates; nothing is copied from elsewhere.

Documents are composed from per-topic text in which ``[a|b|c]`` marks alternative phrasings; a
seeded ``random.Random`` picks one of each and shuffles the documents before ids are assigned, so
the output is deterministic. Topics deliberately contain near-duplicates that differ in one
crucial detail (format, platform, error code, plan), so dense retrieval finds the neighbourhood
but not always the right document first.

Usage::

    python data/make_sample.py            # writes data/sample/{corpus,labels}.jsonl

Running it twice produces byte-identical files.
"""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = 20_240_611
OUT_DIR = Path(__file__).resolve().parent / "sample"
CORPUS_PATH = OUT_DIR / "corpus.jsonl"
LABELS_PATH = OUT_DIR / "labels.jsonl"

_ALT = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")


@dataclass(frozen=True, slots=True)
class Doc:
    key: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Label:
    query: str
    positives: tuple[str, ...]  # document keys, resolved to doc ids at write time


class Corpus:
    """Collects documents, expanding ``[a|b]`` alternatives with a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.docs: list[Doc] = []
        self._keys: set[str] = set()

    def vary(self, text: str) -> str:
        return _ALT.sub(lambda m: self.rng.choice(m.group(1).split("|")), text)

    def add(self, key: str, title: str, text: str) -> None:
        if key in self._keys:
            raise ValueError(f"duplicate document key {key!r}")
        self._keys.add(key)
        body = " ".join(self.vary(text).split())
        self.docs.append(Doc(key=key, title=self.vary(title), text=body))


# --------------------------------------------------------------------------------------------
# Product facts shared by several topics, so the documents agree with each other.
# --------------------------------------------------------------------------------------------

PLANS: dict[str, dict[str, str]] = {
    "free": {
        "name": "Free", "price": "free forever", "upload": "10 MB", "storage": "2 GB per workspace",
        "history": "7 days", "guests": "5", "api": "60",
    },
    "plus": {
        "name": "Plus", "price": "$8 per member per month billed annually, or $10 month to month",
        "upload": "100 MB", "storage": "20 GB per member", "history": "30 days", "guests": "20",
        "api": "120",
    },
    "business": {
        "name": "Business",
        "price": "$15 per member per month billed annually, or $18 month to month",
        "upload": "250 MB", "storage": "100 GB per member", "history": "1 year", "guests": "100",
        "api": "300",
    },
    "enterprise": {
        "name": "Enterprise", "price": "custom, on an annual contract", "upload": "1 GB",
        "storage": "unlimited", "history": "unlimited", "guests": "unlimited", "api": "600",
    },
}


def export_import(c: Corpus) -> None:
    c.add(
        "export/pdf", "Export a notebook to PDF",
        "[Open the notebook|Go to the notebook you want], click the ••• menu and choose Export > "
        "PDF. Each page becomes a chapter with its own heading, images are embedded at full "
        "resolution, and task checkboxes are printed as they look on screen. [Large notebooks are "
        "prepared in the background and emailed to you as a download link.|For notebooks over "
        "200 pages you get an email with a download link instead.]",
    )
    c.add(
        "export/markdown", "Export a notebook to Markdown",
        "Choose ••• > Export > Markdown to get a .zip with one .md file per page and an "
        "attachments folder. Links between pages are rewritten as relative links, so the files "
        "keep working in [other editors|Obsidian, VS Code or any Markdown editor]. Board views are "
        "flattened into plain lists.",
    )
    c.add(
        "export/docx", "Export pages as a Word document",
        "Export > Word (.docx) [turns the notebook into a single document|produces one Word "
        "file for the whole notebook]. Headings map to Word heading styles and tables keep their "
        "columns. Embedded videos and Figma frames can't be converted and are replaced by links.",
    )
    c.add(
        "export/html", "Export a notebook as HTML",
        "Export > HTML creates a self-contained folder with an index.html you can open in any "
        "browser or upload to an intranet. Styling matches the Lumio reader view. [Comments are "
        "not included.|Comments and page history are left out.]",
    )
    c.add(
        "export/csv", "Export tasks to CSV",
        "Boards and task lists can be exported from the view's ••• menu with Export > CSV. Each "
        "row is one task with columns for title, assignee, status, due date and tags. [Page "
        "content outside tasks is not included.|Only tasks are exported, not the surrounding "
        "notes.]",
    )
    c.add(
        "export/mobile-pdf", "Save a page as PDF on iOS or Android",
        "In the mobile apps, open the page, tap Share and then Export as PDF. Phones and tablets "
        "export one page at a time; [to export a whole notebook, use the desktop app or the "
        "web.|whole notebooks can only be exported from desktop or web.]",
    )
    c.add(
        "export/workspace", "Back up your entire workspace",
        "Workspace owners on Business and Enterprise can export everything at once from Admin "
        "console > Settings > Export workspace. You get a .zip with Markdown pages, CSV task "
        "lists, attachments and a workspace.json file describing members and permissions. [The "
        "link|The download link] expires after 7 days.",
    )
    c.add(
        "export/print", "Print a page",
        "Press Ctrl+P (Cmd+P on Mac) or choose ••• > Print. [Lumio hides the sidebar and comments "
        "and|The print layout drops the sidebar and comments and] uses a paper-friendly font. To "
        "print a full notebook, export it to PDF first and print that file.",
    )
    c.add(
        "import/evernote", "Import notes from Evernote",
        "In Evernote, export a notebook as an .enex file. In Lumio go to Settings > Import > "
        "Evernote and upload it; each note becomes a page and Evernote tags become Lumio tags. "
        "Note links between notebooks [are kept when|survive only if] you import all of them "
        "in one go.",
    )
    c.add(
        "import/notion", "Import a workspace from Notion",
        "Export your Notion workspace as Markdown & CSV, then upload the .zip under Settings > "
        "Import > Notion. Pages keep their nesting and Notion databases arrive as Lumio boards. "
        "[Synced blocks and formulas are converted to plain text.|Formulas and synced blocks "
        "become static text.]",
    )
    c.add(
        "import/markdown", "Import Markdown files",
        "Drag .md files or a folder onto the sidebar, or use Settings > Import > Markdown. Front "
        "matter tags are kept as Lumio tags and relative image paths are uploaded as "
        "attachments. [Up to 1,000 files can be imported at once.|One import can hold up to 1,000 "
        "files.]",
    )
    c.add(
        "import/pdf", "Can I import a PDF and edit it?",
        "No. Lumio does not convert PDFs into editable pages. Dropping a PDF onto a page attaches "
        "it with an inline preview, and on Plus and higher plans its text is indexed so it shows "
        "up in search. [To edit the content, convert it to Word first and import the .docx.|If "
        "you need editable text, convert the file to .docx and import that instead.]",
    )
    c.add(
        "import/docx", "Import Word documents",
        "Settings > Import > Word accepts .docx files up to your plan's upload limit. Headings, "
        "lists, tables and images come through; tracked changes are accepted automatically and "
        "[Word comments are dropped|comments from Word are not imported].",
    )
    c.add(
        "import/onenote", "Import from OneNote",
        "The OneNote importer runs only in the Lumio desktop app for Windows, because it reads "
        "notebooks through your local OneNote installation. Open File > Import > OneNote, sign in "
        "with your Microsoft account and pick the sections to bring over. [Handwriting is imported "
        "as images.|Ink and handwriting arrive as images.]",
    )
    c.add(
        "import/csv-tasks", "Create tasks from a CSV file",
        "On any board choose ••• > Import CSV. Lumio maps columns named title, assignee, due and "
        "status automatically and asks you about the rest. Assignees are matched by email address; "
        "[unknown addresses are left unassigned.|rows with unknown emails are imported "
        "without an assignee.]",
    )


def errors(c: Corpus) -> None:
    c.add(
        "error/overview", "How Lumio error codes are numbered",
        "Codes from E-400 to E-599 follow HTTP status codes and come from our servers. Codes in "
        "the E-1000 range are problems on your device, and E-2000 codes relate to single sign-on "
        "and provisioning. [Include the code when you contact support.|Always quote the full code "
        "when you write to support.]",
    )
    c.add(
        "error/E-401-sync", "Error E-401: your session has expired",
        "E-401 means the app's sign-in token is no longer valid, [usually|most often] after a "
        "password change or when an admin signs everyone out. Sign out and back in. Changes you "
        "made in the meantime stay on the device and upload once you're signed in again.",
    )
    c.add(
        "error/E-401-api", "API responses with code E-401",
        "The API answers HTTP 401 with code E-401 when the personal access token is missing, "
        "revoked or malformed. Check that the header reads Authorization: Bearer followed by the "
        "token, [with no quotes|without quotes or extra spaces], and that the token hasn't been "
        "deleted under Settings > API.",
    )
    c.add(
        "error/E-403-sync", "Error E-403 while syncing a shared notebook",
        "You see E-403 when the app tries to sync edits to a notebook where your access was "
        "lowered to view-only or removed. Your local changes are saved to a page called Unsynced "
        "changes so nothing is lost. [Ask the notebook owner for edit access and sync again.|Once "
        "the owner gives you edit access again, sync resumes.]",
    )
    c.add(
        "error/E-403-api", "API error E-403: missing scope",
        "An E-403 from the API means the token is valid but lacks the scope the endpoint needs, "
        "for example tasks:write for creating tasks. Scopes are fixed when a token is created, "
        "[so create a new token with the right scopes.|so you have to generate a new token that "
        "includes them.]",
    )
    c.add(
        "error/E-404", "Error E-404: page not found",
        "E-404 appears when you open a link to a page that was deleted or moved to a notebook you "
        "can't access. [Check the trash first;|Look in the trash first:] deleted pages stay there "
        "for 30 days. If the page was moved, ask its owner to share the new location.",
    )
    c.add(
        "error/E-409-sync", "Error E-409: sync conflict",
        "E-409 means two devices changed the same paragraph while one of them was offline. Lumio "
        "keeps both versions: yours stays in place and the other appears in a conflict banner at "
        "the top of the page, [where you can pick one or merge them.|so you can choose which to "
        "keep.]",
    )
    c.add(
        "error/E-409-api", "API error E-409: version mismatch",
        "Updates through the API send the page's version in the If-Match header. If someone edited "
        "the page after you read it, the API rejects the write with E-409. [Fetch the page again, "
        "reapply your change and retry.|Re-read the page, apply your change to the new version "
        "and send it again.]",
    )
    c.add(
        "error/E-413", "Error E-413: attachment too large",
        "E-413 means the file is bigger than your plan's upload limit: 10 MB on Free, 100 MB on "
        "Plus, 250 MB on Business and 1 GB on Enterprise. [Compress the file or link to it from "
        "cloud storage instead.|Try compressing it, or embed it from Google Drive or Dropbox.]",
    )
    c.add(
        "error/E-429-api", "API error E-429: rate limit exceeded",
        "The API returns HTTP 429 with code E-429 when you send more requests per minute than your "
        "plan allows. The Retry-After header says how many seconds to wait. [Batch endpoints and "
        "webhooks|Using batch endpoints, or webhooks instead of polling,] help you stay under the "
        "limit.",
    )
    c.add(
        "error/E-429-sync", "Sync paused with E-429 after a big import",
        "If you import or paste thousands of pages at once, the app may show E-429 and pause sync "
        "for a few minutes. [This is expected.|Nothing is wrong with your account.] The app backs "
        "off on its own and resumes uploading; keep it open until the sync icon turns green.",
    )
    c.add(
        "error/E-500", "Error E-500: something went wrong on our side",
        "E-500 is an unexpected server error. Retry after a minute and check status.lumio.app for "
        "ongoing incidents. [If it keeps happening on one page, send us the page link.|When a "
        "single page always fails, contact support with its link.]",
    )
    c.add(
        "error/E-503", "Error E-503: Lumio is under maintenance",
        "During scheduled maintenance the service returns E-503 and apps switch to read-only "
        "mode. You can keep reading, and edits made offline are queued. Maintenance windows are "
        "announced [a week ahead|at least seven days in advance] on status.lumio.app.",
    )
    c.add(
        "error/E-1001", "Error E-1001: local cache is damaged",
        "E-1001 means the desktop app's offline database could not be read, often after a crash "
        "or a full disk. Go to Settings > Advanced > Rebuild local cache. [The app downloads your "
        "notes again; anything not yet synced is exported to a recovery folder first.|Unsynced "
        "edits are copied to a recovery folder before the cache is rebuilt.]",
    )
    c.add(
        "error/E-1002", "Error E-1002: not enough storage on this device",
        "The mobile app shows E-1002 when your phone or tablet is almost out of space and offline "
        "notes can't be saved. Free up space, or [turn off offline access for large notebooks|make "
        "fewer notebooks available offline] under Settings > Offline.",
    )
    c.add(
        "error/E-1003", "Error E-1003: device clock is wrong",
        "Secure connections fail with E-1003 when your computer's or phone's date and time are "
        "more than five minutes off. [Turn on automatic date and time in your system settings|Set "
        "the clock to update automatically] and restart Lumio.",
    )
    c.add(
        "error/E-2010", "Error E-2010: SAML response rejected",
        "E-2010 is shown on sign-in when Lumio can't validate the SAML assertion from your "
        "identity provider, most often because the signing certificate was rotated. An admin "
        "needs to upload the new certificate under Admin console > Security > SSO.",
    )
    c.add(
        "error/E-2011", "Error E-2011: SCIM token expired",
        "Provisioning stops with E-2011 when the SCIM bearer token has expired; tokens last one "
        "year. [Generate a new token|Create a fresh token] in Admin console > Security > SCIM and "
        "paste it into your identity provider's Lumio app.",
    )
    c.add(
        "error/E-2012", "Error E-2012: you're not assigned to Lumio",
        "E-2012 means your identity provider authenticated you but you aren't assigned to the "
        "Lumio application there. [Ask your IT team to add you to the Lumio app in Okta, Entra ID "
        "or Google Workspace.|Your IT admin has to assign the Lumio app to your account.]",
    )


def login(c: Corpus) -> None:
    c.add(
        "login/reset-web", "Reset your password on the web",
        "On the sign-in page click Forgot password and enter your email. We send a reset link "
        "that is valid for [one hour|60 minutes]. After you choose a new password, every other "
        "device is signed out.",
    )
    c.add(
        "login/reset-ios", "Reset your password on iPhone or iPad",
        "In the iOS app tap Sign in, then Forgot password. The reset link opens in Safari; once "
        "you've set a new password, return to the app and sign in. [If the email doesn't arrive, "
        "check your spam folder.|Didn't get the email? Look in spam or promotions.]",
    )
    c.add(
        "login/reset-android", "Reset your password on Android",
        "On Android, tap Trouble signing in? on the login screen and choose Reset password. The "
        "email link opens in your default browser. [Some Android mail apps open links in an "
        "in-app browser; if the page won't load, copy the link into Chrome.|If your mail app's "
        "built-in browser fails, paste the link into Chrome.]",
    )
    c.add(
        "login/reset-sso", "Resetting your password when SSO is turned on",
        "If your workspace signs in through SSO, Lumio doesn't store a password for you, so the "
        "Forgot password link won't help. [Reset it with your company's identity provider|Change "
        "your password in Okta, Entra ID or whatever your company uses], or ask your IT "
        "helpdesk.",
    )
    c.add(
        "login/change-password", "Change your password",
        "While signed in, go to Settings > Account > Password, enter your current password and "
        "then the new one. [Passwords need at least 10 characters.|The minimum length is 10 "
        "characters.] You'll stay signed in on this device; others will be signed out.",
    )
    c.add(
        "login/change-email", "Change the email address on your account",
        "Go to Settings > Account > Email and enter the new address. We send a confirmation to "
        "both addresses, and the change takes effect once you click the link in the new one. "
        "[Accounts managed by SSO|If your account is managed through SSO, it] can only be "
        "changed by an admin.",
    )
    c.add(
        "login/2fa-setup", "Turn on two-factor authentication",
        "Open Settings > Account > Two-factor authentication and scan the QR code with an "
        "authenticator app such as 1Password, Google Authenticator or Authy. [Save the ten "
        "recovery codes somewhere safe;|Store the recovery codes you're shown;] they are the only "
        "way in if you lose your phone.",
    )
    c.add(
        "login/2fa-recovery", "Sign in with a 2FA recovery code",
        "On the verification screen click Use a recovery code and enter one of the codes you "
        "saved when you set up two-factor authentication. Each code works once. [Afterwards, set "
        "up 2FA on your new device and generate fresh codes.|Then re-enrol your authenticator and "
        "create a new set of codes.]",
    )
    c.add(
        "login/2fa-lost", "Lost your phone and your recovery codes",
        "Without your authenticator or a recovery code, support has to verify your identity "
        "before removing two-factor authentication. [This takes three to five business days.|"
        "Expect the check to take 3-5 business days.] Workspace admins on Business and "
        "Enterprise can reset 2FA for members right away.",
    )
    c.add(
        "login/2fa-require", "Require two-factor authentication for all members",
        "Admins can make 2FA mandatory under Admin console > Security > Two-factor. Members "
        "without it are asked to set it up at their next sign-in [and can't open the workspace "
        "until they do.|and are blocked until they have.] Accounts that sign in with SSO are "
        "exempt.",
    )
    c.add(
        "login/magic-link", "Sign in with an email code instead of a password",
        "On the sign-in page choose Email me a code. We send a six-digit code that is valid for "
        "ten minutes. [It's handy on shared computers where you don't want to type a "
        "password.|This works on any device and doesn't require you to remember a password.]",
    )
    c.add(
        "login/google-apple", "Sign in with Google or Apple",
        "You can create a Lumio account with Continue with Google or Continue with Apple. If you "
        "chose Hide my email with Apple, your Lumio address is the private relay address, [so "
        "invites must be sent there.|which teammates need when they invite you.]",
    )
    c.add(
        "login/safari-loop", "Stuck in a sign-in loop in Safari",
        "If Safari keeps returning you to the sign-in page, its tracking prevention is blocking "
        "Lumio's login cookie. Allow cookies for lumio.app or turn off Prevent cross-site "
        "tracking for the site, [then reload.|and sign in again.] The desktop app isn't affected.",
    )


def sso(c: Corpus) -> None:
    steps = {
        "okta": ("Okta", "add the Lumio app from the Okta Integration Network"),
        "entra": ("Microsoft Entra ID", "create an enterprise application from the gallery"),
        "google": ("Google Workspace", "add a custom SAML app in the Google Admin console"),
        "onelogin": ("OneLogin", "add Lumio from the OneLogin app catalog"),
    }
    for slug, (idp, how) in steps.items():
        c.add(
            f"sso/setup-{slug}", f"Set up SAML single sign-on with {idp}",
            f"In {idp}, {how} and copy the metadata URL. In Lumio open Admin console > Security "
            "> SSO, choose SAML and paste the URL. [Test the connection with your own account "
            "before turning it on for everyone.|Use Test sign-in with your own account first.] "
            "SAML SSO is available on Business and Enterprise.",
        )
    c.add(
        "sso/setup-generic", "Connect any SAML 2.0 identity provider",
        "Any provider that supports SAML 2.0 works. Give it Lumio's ACS URL and entity ID from "
        "Admin console > Security > SSO, then upload its metadata XML or enter the SSO URL and "
        "signing certificate by hand. [Map the email attribute to NameID.|Lumio expects the "
        "user's email address as the NameID.]",
    )
    c.add(
        "sso/enforce", "Require SSO for every member",
        "On Enterprise, admins can switch on Require SSO under Admin console > Security > SSO. "
        "After that, password and Google sign-in are disabled for everyone with an email on your "
        "verified domains, and [existing sessions end within an hour.|current sessions are "
        "signed out within 60 minutes.]",
    )
    c.add(
        "sso/bypass", "Keep an emergency sign-in when SSO is required",
        "When SSO is enforced, workspace owners can still sign in with a password and 2FA so "
        "they aren't locked out if the identity provider goes down. [Admins can turn this bypass "
        "off, but we recommend keeping it for at least one owner.|We recommend leaving this "
        "enabled for at least one owner.]",
    )
    c.add(
        "sso/domain", "Verify your company's email domain",
        "Before enforcing SSO or capturing accounts, prove you own the domain. In Admin console "
        "> Settings > Domains, add the domain and create the TXT record we show at your DNS "
        "provider. [Verification usually completes within an hour.|It usually takes less than an "
        "hour for DNS to update.]",
    )
    for slug, idp in (("okta", "Okta"), ("entra", "Microsoft Entra ID")):
        c.add(
            f"sso/scim-{slug}", f"Automatic user provisioning with {idp} (SCIM)",
            f"With SCIM, users you assign in {idp} get a Lumio account automatically and are "
            "deactivated when you unassign them. Generate a token in Admin console > Security > "
            f"SCIM and enter it with the base URL in {idp}'s provisioning tab. [Groups sync as "
            "Lumio teams.|Group pushes become Lumio teams.] SCIM requires Enterprise.",
        )
    c.add(
        "sso/jit", "Just-in-time account creation with SSO",
        "Without SCIM, Lumio can create accounts the first time someone signs in through SSO. "
        "Turn on Just-in-time provisioning in the SSO settings and choose the default role. "
        "[Just-in-time provisioning never removes users; deactivate leavers by hand.|Leavers are "
        "not removed automatically, so deactivate them yourself.]",
    )
    c.add(
        "sso/disable", "What happens if you turn SSO off",
        "Members keep their accounts and content. The next time they sign in they'll be asked "
        "to set a password through an emailed link. [Turning SSO off also ends SCIM "
        "provisioning.|SCIM provisioning stops as well.]",
    )
    c.add(
        "sso/plans", "Which plans include SSO?",
        "SAML single sign-on is included in Business and Enterprise. Enforcing SSO for all "
        "members, SCIM provisioning and the owner bypass setting are Enterprise only. Free and "
        "Plus workspaces can use Sign in with Google [but cannot require it.|without a way to "
        "make it mandatory.]",
    )


def billing(c: Corpus) -> None:
    extras = {
        "free": "It's meant for individuals and small teams of up to 10 members.",
        "plus": "Plus adds unlimited members, guests and page history for small teams.",
        "business": "Business adds SAML SSO, password-protected links, image text search and "
        "priority support.",
        "enterprise": "Enterprise adds enforced SSO, SCIM, the audit log, IP allowlisting and "
        "a choice of EU or US data residency.",
    }
    for slug, p in PLANS.items():
        c.add(
            f"plan/{slug}", f"The Lumio {p['name']} plan",
            f"Lumio {p['name']} is {p['price']}. {extras[slug]} It [includes|comes with] "
            f"{p['storage']} of storage, uploads up to {p['upload']} per file and "
            f"{p['history']} of page history.",
        )
    c.add(
        "billing/annual-monthly", "Monthly or annual billing",
        "Paid plans can be billed every month or once a year. Annual billing costs about 20% "
        "less: Plus is $8 instead of $10 per member, Business $15 instead of $18. [You can switch "
        "from monthly to annual at any time;|Switching to annual is possible any time, and] the "
        "unused part of your month is credited.",
    )
    c.add(
        "billing/upgrade", "Upgrade your workspace",
        "Workspace owners and billing admins can upgrade from Admin console > Billing > Change "
        "plan. New features are available [immediately|straight away] and you pay a prorated "
        "amount for the rest of the current billing period.",
    )
    c.add(
        "billing/downgrade-free", "What happens when you downgrade to Free",
        "Your content stays, but anything over Free limits becomes read-only: pages beyond 2 GB "
        "of storage can't get new attachments, history older than 7 days is hidden and guests "
        "beyond five lose access. [Nothing is deleted, and upgrading again restores it.|Upgrade "
        "again later and it all comes back.]",
    )
    c.add(
        "billing/downgrade-plus", "Downgrading from Business to Plus",
        "Moving from Business to Plus turns off SAML SSO, so members need to set a password at "
        "their next sign-in. Password-protected links become plain links and [page history "
        "older than 30 days is hidden.|history is limited to 30 days.] The change applies at "
        "the end of the billing period.",
    )
    c.add(
        "billing/cancel", "Cancel your subscription",
        "Go to Admin console > Billing and click Cancel subscription. Your workspace stays on "
        "the paid plan until the end of the period you paid for and then moves to Free. "
        "[Cancelling doesn't delete any notes.|No content is deleted when you cancel.]",
    )
    c.add(
        "billing/refunds", "Refund policy",
        "Annual plans can be refunded in full within 14 days of purchase or renewal. Monthly "
        "payments aren't refunded, [but you keep access until the end of the month.|though the "
        "plan stays active until the month ends.] Contact billing@lumio.app with your invoice "
        "number.",
    )
    c.add(
        "billing/invoices", "Download invoices and receipts",
        "All invoices are listed under Admin console > Billing > Invoices as PDFs. [They're also "
        "emailed to the billing contact each time you're charged.|A copy goes to the billing "
        "email after every charge.] Invoices can't be edited after they're issued.",
    )
    c.add(
        "billing/card", "Update your credit card",
        "Billing admins can replace the card under Admin console > Billing > Payment method. "
        "We accept Visa, Mastercard and American Express, and [PayPal on monthly plans|PayPal "
        "for month-to-month subscriptions]. The new card is used from the next charge.",
    )
    c.add(
        "billing/vat", "Add a VAT or GST number to invoices",
        "Enter your tax ID under Admin console > Billing > Company details. For EU VAT numbers "
        "we validate the ID and apply the reverse charge, so future invoices [don't include "
        "VAT.|are issued without VAT.] Past invoices aren't reissued.",
    )
    c.add(
        "billing/nonprofit", "Discount for nonprofits",
        "Registered nonprofit organisations get 50% off Plus and Business. Apply through the "
        "form at lumio.app/nonprofit with proof of your status; [approval takes about a week|we "
        "reply within five business days].",
    )
    c.add(
        "billing/education", "Lumio for students and teachers",
        "Students and teachers with a school email get Lumio Plus for free for individual use. "
        "Verify your address under Settings > Plan > Education. [Shared class workspaces can "
        "request Business at the education price.|Schools can ask us for discounted Business "
        "workspaces.]",
    )
    c.add(
        "billing/seats", "How seats are billed",
        "You pay for every member and admin; guests are free up to your plan's guest limit. When "
        "you add someone mid-cycle you're charged a prorated amount, [and removed members are "
        "credited on the next invoice.|and people you remove are credited on your next bill.]",
    )
    c.add(
        "billing/failed-payment", "What happens if a payment fails",
        "We retry a failed charge three times over 14 days and email the billing contact each "
        "time. If it still fails, the workspace moves to Free and excess content becomes "
        "read-only. [Updating the card settles the balance immediately.|Add a working card and "
        "the plan is restored right away.]",
    )
    c.add(
        "billing/invoice-payment", "Pay by bank transfer instead of card",
        "Enterprise customers, and Business customers on annual plans with 20 or more seats, can "
        "pay by invoice with 30-day terms. [Contact sales to set it up.|Ask our sales team to "
        "switch your billing to invoice.]",
    )
    c.add(
        "billing/currency", "Which currencies can I pay in?",
        "Lumio charges in US dollars, euros or British pounds, based on your billing address. "
        "[The currency can't be changed after the first payment|Once you've paid, the currency "
        "is fixed] unless you contact support.",
    )
    c.add(
        "billing/trial", "Try Business free for 14 days",
        "Any Free or Plus workspace can start a 14-day Business trial from Admin console > "
        "Billing. No card is needed. [At the end of the trial you go back to your previous plan "
        "unless you add payment details.|When it ends, the workspace returns to its old plan "
        "automatically.]",
    )
    c.add(
        "billing/email", "Change who receives billing emails",
        "Invoices and payment alerts go to the billing contact, which can be any email address, "
        "[even one without a Lumio account.|not necessarily a member.] Change it in Admin "
        "console > Billing > Company details.",
    )


def limits(c: Corpus) -> None:
    names = [p["name"] for p in PLANS.values()]

    def table(field: str) -> str:
        return ", ".join(f"{PLANS[s][field]} on {n}" for s, n in zip(PLANS, names, strict=True))

    c.add(
        "limits/upload", "Maximum file upload size",
        f"The largest single file you can attach depends on the plan: {table('upload')}. "
        "[Larger files are rejected with error E-413.|Anything bigger fails with E-413.]",
    )
    c.add(
        "limits/storage", "Storage limits per plan",
        f"Workspace storage is {table('storage')}. Storage on paid plans is pooled across the "
        "workspace, [so one heavy user can use another member's share.|so members share one "
        "pool.] Page text doesn't count, only attachments.",
    )
    c.add(
        "limits/history", "How long page history is kept",
        f"Lumio saves a version of a page every few minutes while it's edited. You can go back "
        f"{table('history')}. [Older versions are removed automatically.|Versions older than "
        "that are cleaned up on their own.]",
    )
    c.add(
        "limits/guests", "How many guests can I invite?",
        f"Guests are people outside the workspace who can see specific notebooks. The limit is "
        f"{table('guests')}. Guests aren't billed, [but each one counts toward the limit until "
        "removed.|and removing a guest frees a slot.]",
    )
    c.add(
        "limits/api", "API rate limits",
        f"Each token may make {table('api')} requests per minute. Requests over the limit get "
        "HTTP 429 with error E-429 and a Retry-After header. [Limits are per workspace, not per "
        "token.|All tokens in a workspace share one budget.]",
    )
    c.add(
        "limits/page-size", "Is there a limit to how long a page can be?",
        "A page can hold up to 20,000 blocks, roughly 400 printed pages of text. [Very long "
        "pages get slow on phones, so we recommend splitting them.|Past a few thousand blocks "
        "the mobile apps slow down, so consider splitting the page.]",
    )
    c.add(
        "limits/members-free", "How many people can use a Free workspace?",
        "A Free workspace holds up to 10 members plus 5 guests. To add an eleventh member "
        "[you'll need to upgrade to Plus.|the workspace has to move to a paid plan.]",
    )
    c.add(
        "limits/workspaces", "How many workspaces can I join?",
        "One Lumio account can belong to up to 50 workspaces, and you can create as many Free "
        "workspaces as you like. [Switch between them from the workspace menu at the top of the "
        "sidebar.|The workspace menu in the sidebar lets you switch.]",
    )
    c.add(
        "limits/offline-mobile", "How much can be stored offline on a phone?",
        "The iOS and Android apps keep up to 5 GB of notebooks and attachments offline. "
        "[Attachments larger than 50 MB are only downloaded when you open them.|Big attachments "
        "over 50 MB stay online until you tap them.]",
    )


def sync_offline(c: Corpus) -> None:
    c.add(
        "sync/how", "How syncing works",
        "Every edit is saved on your device first and sent to Lumio's servers within a few "
        "seconds. Other devices receive it [almost immediately|in real time] while they're "
        "online, or the next time they connect.",
    )
    c.add(
        "offline/ios", "Use Lumio offline on iPhone and iPad",
        "On iOS, notebooks you've opened in the last 30 days are available offline by default. "
        "[To keep a specific notebook offline, swipe left on it and tap Make available "
        "offline.|Long-press a notebook and choose Keep offline to pin it.] Edits sync when "
        "you're back online.",
    )
    c.add(
        "offline/android", "Use Lumio offline on Android",
        "The Android app downloads notebooks you mark as offline from the notebook's ••• menu. "
        "You can read, edit and create pages without a connection, [but search only covers "
        "offline notebooks.|though search is limited to what's downloaded.] Changes upload when "
        "you reconnect.",
    )
    c.add(
        "offline/desktop", "Offline mode in the desktop app",
        "The Mac and Windows apps keep a full copy of every notebook you can access, so "
        "everything works without internet. [Attachments are downloaded the first time you "
        "open them.|Files attached to pages download when first opened.]",
    )
    c.add(
        "offline/web", "Does the web app work offline?",
        "Only partly. In Chrome and Edge, pages you opened recently can be read offline, but "
        "you can't edit them until the connection returns. [Safari and Firefox don't support "
        "offline mode.|There's no offline support in Safari or Firefox.] For full offline work, "
        "use the desktop app.",
    )
    c.add(
        "sync/stuck", "Sync is stuck on Syncing…",
        "If the sync indicator spins for more than a few minutes, check status.lumio.app, then "
        "quit and reopen the app. [A single huge attachment can hold the queue; the sync panel "
        "shows what is uploading.|Open the sync panel to see whether one large file is "
        "blocking the queue.]",
    )
    c.add(
        "sync/resync", "Force a full resync",
        "Settings > Advanced > Resync all data compares every page on the device with the "
        "server and downloads anything missing. [It can take a while on big "
        "workspaces.|Expect it to take several minutes for large workspaces.] Unsynced local "
        "edits are uploaded first.",
    )
    c.add(
        "sync/conflicts", "Resolving conflicting edits",
        "When the same block was changed on two devices, Lumio shows a yellow conflict banner on "
        "the page. Click Compare to see both versions side by side and [keep one or combine "
        "them.|choose which to keep, or merge them by hand.]",
    )
    c.add(
        "sync/cellular", "Stop syncing attachments over mobile data",
        "On Android and iOS, Settings > Sync > Download attachments has an option for Wi-Fi only. "
        "Text still syncs on mobile data, [so your notes stay current without large "
        "downloads.|only big files wait for Wi-Fi.]",
    )
    c.add(
        "sync/indicator", "What the sync icon colours mean",
        "Green means everything is saved to the cloud, blue means changes are uploading and grey "
        "means you're offline with edits waiting. [Red means a sync error; click it to see the "
        "code.|A red icon means an error; click it for the error code.]",
    )


def sharing(c: Corpus) -> None:
    c.add(
        "share/link", "Share a page with a link",
        "Click Share in the top-right corner and turn on Share with link. Choose whether people "
        "with the link can view, comment or edit. [Anyone with the link can open it, even "
        "without a Lumio account, if you allow viewing.|View-only links work for people "
        "without an account.]",
    )
    c.add(
        "share/guest", "Invite a guest to a notebook",
        "Open the notebook's Share menu, type the person's email and pick their access level. "
        "Guests only see the notebooks you share with them and [don't take up a paid seat.|aren't "
        "billed as members.]",
    )
    c.add(
        "share/permissions", "Permission levels explained",
        "Can view lets people read and export. Can comment adds comments and reactions. Can edit "
        "lets them change content and tasks. Full access also lets them share the page and "
        "change other people's access. [Permissions set on a notebook apply to all its pages "
        "unless a page overrides them.|Pages inherit the notebook's permissions unless "
        "changed.]",
    )
    c.add(
        "share/revoke", "Stop sharing a link",
        "Open Share and switch off Share with link. The old URL stops working immediately. "
        "[If you turn sharing back on later, a new link is created.|Re-enabling sharing "
        "generates a different URL.]",
    )
    c.add(
        "share/password", "Protect a shared link with a password",
        "On Business and Enterprise, the Share menu has a Require password option for link "
        "sharing. [Visitors must enter the password before the page loads.|People opening the "
        "link are asked for the password first.] Changing the password signs out everyone who "
        "used the old one.",
    )
    c.add(
        "share/expiry", "Make a shared link expire",
        "In Share > Link settings, set an expiry date and the link stops working at midnight UTC "
        "on that day. [Available on Plus and above.|This option is on all paid plans.]",
    )
    c.add(
        "share/publish", "Publish a page to the web",
        "Share > Publish creates a public, read-only website at yourworkspace.lumio.site. "
        "Published pages can be found by search engines unless you [untick Allow search "
        "engines to index.|switch off search indexing in the publish settings.]",
    )
    c.add(
        "share/unpublish", "Unpublish a page",
        "Open Share > Publish and click Unpublish. The public page disappears right away, but "
        "search engines may show a cached copy for a few days. [You can request removal through "
        "Google Search Console.|Google Search Console can speed up removal.]",
    )
    c.add(
        "share/transfer-notebook", "Transfer ownership of a notebook",
        "The owner can hand over a notebook from Share > Full access > Make owner. [Admins can "
        "also reassign notebooks owned by deactivated members from the admin console.|If the "
        "owner has left, an admin can reassign it in the admin console.]",
    )
    c.add(
        "share/transfer-workspace", "Transfer workspace ownership",
        "Only the current owner can do this: Admin console > Members, open the new owner's "
        "profile and choose Make workspace owner. The previous owner becomes an admin. [The new "
        "owner must already be an admin.|You can only pick someone who is already an admin.]",
    )
    c.add(
        "share/remove-member", "Remove a member from the workspace",
        "Admins remove members from Admin console > Members. The person loses access at once, "
        "but their pages stay in the workspace. [Private notebooks they owned are moved to the "
        "admin who removed them.|Their private notebooks are handed to the removing admin.]",
    )
    c.add(
        "share/request-access", "Request access to a page",
        "If you open a link you don't have access to, click Request access. The page owner gets "
        "an email and a notification [and can approve with one click.|with a button to approve "
        "or decline.]",
    )
    c.add(
        "share/external-blocked", "Why can't I share with people outside my company?",
        "Admins can restrict sharing to verified company domains. When that setting is on, the "
        "Share menu won't accept outside email addresses and [public links are disabled.|link "
        "sharing to the public is switched off.] Ask a workspace admin if you need an "
        "exception.",
    )
    c.add(
        "share/mentions", "Mention someone on a page",
        "Type @ followed by a name to mention a teammate. They get a notification with a link "
        "to that spot on the page. [Mentioning someone who can't access the page offers to "
        "share it with them.|If they don't have access yet, Lumio asks whether to share it.]",
    )


def mobile(c: Corpus) -> None:
    c.add(
        "mobile/install-ios", "Install Lumio on iPhone and iPad",
        "Download Lumio from the App Store. The app needs iOS or iPadOS 16 or later. [On iPad "
        "you can open two pages side by side with Split View.|iPad users can work with two "
        "pages at once in Split View.]",
    )
    c.add(
        "mobile/install-android", "Install Lumio on Android",
        "Get Lumio from Google Play; Android 10 or later is required. [The same app runs on "
        "Chromebooks that support Android apps.|Chromebooks with Play Store access can run it "
        "too.]",
    )
    c.add(
        "mobile/widget-ios", "Add a Lumio widget to your iPhone home screen",
        "Long-press the home screen, tap +, search for Lumio and pick a widget: Quick note, My "
        "tasks or Pinned page. [Lock screen widgets are available on iOS 16 and "
        "later.|You can also add Quick note to the lock screen.]",
    )
    c.add(
        "mobile/widget-android", "Lumio widgets on Android",
        "Touch and hold an empty spot on the home screen, tap Widgets and drag a Lumio widget "
        "into place. The Tasks widget can be resized [to show up to 12 tasks.|and lists as many "
        "as 12 tasks.]",
    )
    c.add(
        "mobile/scan-ios", "Scan paper documents on iPhone",
        "In a page, tap + and choose Scan document. The camera detects the page edges and you "
        "can scan several sheets into one PDF. [Text in scans is searchable on Business and "
        "Enterprise.|On Business and Enterprise we run text recognition so scans are "
        "searchable.]",
    )
    c.add(
        "mobile/scan-android", "Scan documents with the Android app",
        "Tap + > Scan in any page. Android uses Google's document scanner, so the first scan may "
        "ask to download it from Play services. [Scans are saved as PDF attachments.|Each scan "
        "is attached to the page as a PDF.]",
    )
    c.add(
        "mobile/voice", "Record voice notes",
        "Tap the microphone in the mobile toolbar to record audio into a page. Recordings can be "
        "up to 60 minutes long, [and on paid plans they're transcribed automatically.|and paid "
        "plans add an automatic transcript below the audio.]",
    )
    c.add(
        "mobile/share-ios", "Save links and files to Lumio from other iOS apps",
        "Tap the Share button in Safari, Photos or Files and choose Lumio. [If it isn't listed, "
        "scroll to More and switch it on.|Can't see Lumio? Tap More and enable it.] You can "
        "pick the notebook and add a note before saving.",
    )
    c.add(
        "mobile/share-android", "Send content to Lumio from Android apps",
        "Use Share in any Android app and choose Lumio or Lumio Quick note. Shared web links "
        "are saved with a preview card and images are attached to a new page [in your "
        "Inbox.|in the Inbox notebook.]",
    )
    c.add(
        "mobile/watch", "Lumio on Apple Watch",
        "The Apple Watch app lets you dictate a quick note, check off today's tasks and see "
        "reminders. [It syncs through your iPhone.|Everything goes through the iPhone app.] "
        "watchOS 9 or later is required.",
    )
    c.add(
        "mobile/lock-ios", "Lock the iOS app with Face ID",
        "Turn on Settings > Security > Require Face ID. Lumio asks for Face ID or Touch ID each "
        "time it opens [after being in the background for more than a minute.|if it has been "
        "closed for over a minute.]",
    )
    c.add(
        "mobile/lock-android", "Lock the Android app with your fingerprint",
        "In the Android app go to Settings > Security > App lock and choose fingerprint or PIN. "
        "[Notification previews are hidden while the app is locked.|While locked, "
        "notifications don't show page content.]",
    )
    c.add(
        "mobile/pencil", "Handwriting with Apple Pencil",
        "On iPad, insert a drawing block and write or sketch with Apple Pencil. Handwriting is "
        "recognised for search [on Business and Enterprise.|if you're on Business or "
        "Enterprise.] Scribble to convert handwriting to text also works in normal text blocks.",
    )
    c.add(
        "mobile/dark", "Dark mode",
        "Lumio follows your system's light or dark setting by default. To override it, choose "
        "Settings > Appearance > Theme [on any device.|on desktop, web or mobile.]",
    )


def desktop(c: Corpus) -> None:
    c.add(
        "desktop/install", "Install the desktop app",
        "Download Lumio for macOS 12 or later, or Windows 10 and 11, from lumio.app/download. "
        "[A Linux version is in beta as an AppImage and a .deb package.|Linux users can try the "
        "beta AppImage or .deb.] The desktop app updates itself.",
    )
    c.add(
        "desktop/quick-capture", "Global quick capture shortcut",
        "Press Ctrl+Shift+Space on Windows or Option+Space on Mac from any app to open a small "
        "Lumio capture window. [Notes go to your Inbox notebook.|What you type lands in the "
        "Inbox.] Change the shortcut in Settings > Shortcuts.",
    )
    c.add(
        "desktop/windows-wont-open", "The Windows app won't open",
        "If nothing happens when you launch Lumio on Windows, check Task Manager for a stuck "
        "Lumio process and end it. [Antivirus tools sometimes quarantine the updater; "
        "reinstalling from lumio.app/download fixes that.|If antivirus blocked the updater, "
        "reinstall from our website.]",
    )
    c.add(
        "desktop/mac-cpu", "High CPU usage on Mac",
        "After a big import, the Mac app indexes pages for search and can use a lot of CPU for "
        "a while. If it doesn't settle within an hour, [open Help > Troubleshooting > Reindex "
        "search.|choose Help > Troubleshooting and rebuild the search index.]",
    )
    c.add(
        "desktop/blank-window", "Blank white window after an update",
        "A white window usually means the app's graphics cache is out of date. Hold Shift while "
        "opening Lumio to start without hardware acceleration, [then restart normally.|and "
        "restart it normally afterwards.]",
    )
    c.add(
        "desktop/clear-cache", "Clear the desktop app's cache",
        "Choose Help > Troubleshooting > Clear cache and restart. This removes downloaded "
        "images and previews but not your notes. [It's different from Rebuild local cache, "
        "which re-downloads all data.|For a full re-download, use Rebuild local cache "
        "instead.]",
    )
    c.add(
        "mobile/clear-cache", "Clear the cache on iOS or Android",
        "On Android, go to system Settings > Apps > Lumio > Storage > Clear cache. On iOS there's "
        "no separate cache setting, so [use Settings > Advanced > Clear downloaded files inside "
        "Lumio.|clear files from within Lumio under Settings > Advanced.]",
    )
    c.add(
        "desktop/proxy", "Network domains to allow through a firewall",
        "Lumio needs access to lumio.app, api.lumio.app, sync.lumio.app and files.lumio-cdn.com "
        "on port 443. [Sync uses WebSockets, so the proxy must allow connection upgrades.|The "
        "proxy must let WebSocket connections through for sync.]",
    )
    c.add(
        "desktop/upload-proxy", "Attachments fail to upload on a corporate network",
        "If text syncs but file uploads hang, your proxy is probably blocking files.lumio-cdn.com "
        "or inspecting large uploads. [Ask IT to allow that domain and skip TLS inspection for "
        "it.|IT should allowlist the domain and exclude it from SSL inspection.]",
    )
    c.add(
        "desktop/images", "Images don't load in pages",
        "Broken image icons usually mean files.lumio-cdn.com is blocked by an ad blocker or "
        "network filter. [Allow the domain and reload the page.|Whitelisting it and reloading "
        "fixes the problem.]",
    )
    c.add(
        "desktop/menubar", "Lumio in the Mac menu bar",
        "Turn on Settings > General > Show in menu bar to get a menu bar icon with today's tasks "
        "and a quick note field. [It keeps running when the main window is closed.|The menu bar "
        "helper stays active after you close the main window.]",
    )
    c.add(
        "desktop/shortcuts", "Keyboard shortcuts",
        "Press Ctrl+/ on Windows or Cmd+/ on Mac to see every shortcut. Common ones: Ctrl+K / "
        "Cmd+K for search, Ctrl+Shift+L / Cmd+Shift+L for a checklist, and Ctrl+Alt+1 / "
        "Cmd+Option+1 for a heading.",
    )


def integrations(c: Corpus) -> None:
    c.add(
        "int/slack", "Connect Lumio to Slack",
        "Go to Settings > Integrations > Slack and click Connect. Once connected, Lumio links "
        "unfurl with a preview in Slack, and [the message menu gets a Create Lumio task "
        "action.|you can turn any Slack message into a Lumio task from its ••• menu.]",
    )
    c.add(
        "int/slack-notify", "Slack notifications aren't arriving",
        "Check that the Lumio app is still installed in your Slack workspace and that the "
        "channel you picked still exists. [Private channels need the Lumio bot invited with "
        "/invite @Lumio.|For private channels, invite the bot first.]",
    )
    c.add(
        "int/teams", "Use Lumio in Microsoft Teams",
        "Add the Lumio app from the Teams app store, then pin a notebook as a tab in any "
        "channel. [Tab contents follow the viewer's Lumio permissions.|People only see the tab "
        "if they can access the notebook in Lumio.]",
    )
    c.add(
        "int/gcal", "Meeting notes from Google Calendar",
        "Connect Google Calendar under Settings > Integrations. Upcoming events appear in the "
        "sidebar, and clicking one creates a meeting notes page [with the attendees and agenda "
        "filled in.|pre-filled with title, time and attendees.]",
    )
    c.add(
        "int/outlook", "Connect Outlook Calendar",
        "Lumio works with Outlook and Microsoft 365 calendars. Connect from Settings > "
        "Integrations > Outlook Calendar and sign in with your work account. [Your Microsoft "
        "admin may need to approve the app first.|Some organisations require admin consent "
        "before it works.]",
    )
    c.add(
        "int/github", "Link GitHub pull requests to tasks",
        "After connecting GitHub, paste a pull request or issue URL into a task to attach it. "
        "The task shows the PR status, and [it can move to Done when the pull request is "
        "merged.|merging the PR can close the task automatically.]",
    )
    c.add(
        "int/jira", "Two-way sync with Jira",
        "On Business and Enterprise, a Lumio board can mirror a Jira project. Status, assignee "
        "and due date sync both ways every few minutes; [comments stay in the tool where they "
        "were written.|comments are not synced.]",
    )
    c.add(
        "int/zapier", "Automate Lumio with Zapier",
        "The Lumio Zapier app has triggers for new pages, new tasks and completed tasks, and "
        "actions to create pages and tasks. [Connect it with a personal access token.|You "
        "authenticate with a Lumio API token.]",
    )
    c.add(
        "int/gdrive", "Embed Google Drive files",
        "Paste a Google Docs, Sheets or Slides link into a page and choose Embed to show a live "
        "preview. [Viewers need access to the file in Google Drive to see it.|Drive permissions "
        "still apply, so viewers need access to the file.]",
    )
    c.add(
        "int/dropbox", "Embed Dropbox files and folders",
        "Paste a Dropbox link and pick Embed to show a file preview or a browsable folder. "
        "[The file stays in Dropbox and doesn't count toward Lumio storage.|Embedded files don't "
        "use your Lumio storage.]",
    )
    c.add(
        "int/figma", "Embed Figma designs",
        "Paste a Figma frame or file link into a page to embed a live, zoomable view. Embeds "
        "update when the design changes. [Exports to Word or PDF show a static link "
        "instead.|In PDF and Word exports the embed becomes a link.]",
    )
    c.add(
        "int/email", "Forward emails into Lumio",
        "Every account has a private forwarding address under Settings > Integrations > Email. "
        "Emails sent there become pages in your Inbox notebook, [with attachments included.|and "
        "attachments are added too.] Put a notebook name after @ in the subject to file it "
        "elsewhere.",
    )
    c.add(
        "int/admin-restrict", "Control which integrations members can use",
        "Admins can allow or block each integration under Admin console > Integrations. "
        "[Blocking an integration disconnects it for everyone in the workspace.|When an "
        "integration is blocked, existing connections are removed.]",
    )
    c.add(
        "int/disconnect", "Disconnect an integration",
        "Open Settings > Integrations, pick the integration and click Disconnect. Embeds and "
        "links already in pages stay, but [they stop updating.|they no longer refresh.]",
    )


def api(c: Corpus) -> None:
    c.add(
        "api/token", "Create a personal access token",
        "Go to Settings > API > Personal access tokens and click New token. Choose scopes such "
        "as pages:read or tasks:write and an expiry date. [The token is shown only once, so copy "
        "it right away.|Copy it immediately; you won't be able to see it again.]",
    )
    c.add(
        "api/oauth", "Build a public integration with OAuth",
        "Apps used by other workspaces should use OAuth 2.0 instead of personal tokens. Register "
        "the app under Settings > API > OAuth apps to get a client ID and secret, [then send "
        "users through the authorization code flow.|and use the authorization code flow with "
        "PKCE.]",
    )
    c.add(
        "api/scopes", "API token scopes",
        "Scopes limit what a token can do: pages:read, pages:write, tasks:read, tasks:write, "
        "search and admin. [Calling an endpoint without the right scope returns E-403.|Missing "
        "scopes produce an E-403 response.]",
    )
    c.add(
        "api/pagination", "Paginating API results",
        "List endpoints return up to 100 items and a next_cursor field. Pass it as the cursor "
        "parameter to get the next batch; [when next_cursor is null you've reached the "
        "end.|a null cursor means there are no more results.]",
    )
    c.add(
        "api/webhooks", "Set up webhooks",
        "Register a webhook URL under Settings > API > Webhooks and choose events such as "
        "page.updated or task.completed. Lumio sends a JSON POST [within seconds of the "
        "event.|shortly after each event.]",
    )
    c.add(
        "api/webhook-signature", "Verify webhook signatures",
        "Each webhook request carries an X-Lumio-Signature header: an HMAC-SHA256 of the raw "
        "body, keyed with your webhook secret. [Compute it yourself and compare in constant "
        "time before trusting the payload.|Reject requests whose signature doesn't match.]",
    )
    c.add(
        "api/webhook-retries", "Webhook delivery retries",
        "If your endpoint doesn't return a 2xx status within 10 seconds, Lumio retries with "
        "backoff for up to 24 hours. [After 50 consecutive failures the webhook is disabled and "
        "the owner is emailed.|Webhooks that keep failing are switched off automatically.]",
    )
    c.add(
        "api/create-task", "Create a task with the API",
        "Send POST /v2/tasks with a title and a board_id; assignee_email and due_date are "
        "optional. [The response contains the new task's id and URL.|You get back the task id "
        "and a link to it.] The token needs the tasks:write scope.",
    )
    c.add(
        "api/search", "Search through the API",
        "GET /v2/search?q= returns pages and tasks matching the query that the token's owner can "
        "see. [Results use the same ranking as the search bar.|Ranking matches the in-app "
        "search.] The token needs the search scope.",
    )
    c.add(
        "api/versioning", "API versions",
        "Send a Lumio-Version header with a date such as 2024-06-01 to pin the API behaviour. "
        "Without it, requests use the version that was current when the token was created. "
        "[Breaking changes only ship in new versions.|We never make breaking changes within a "
        "version.]",
    )
    c.add(
        "api/v1-deprecation", "The v1 API is being retired",
        "The /v1 endpoints stop working on 31 March 2025. [Most calls map one to one onto "
        "/v2;|The /v2 equivalents are mostly the same,] but list endpoints now use cursors "
        "instead of page numbers.",
    )
    c.add(
        "api/sdk", "Official SDKs",
        "Lumio maintains SDKs for Python (pip install lumio) and JavaScript/TypeScript (npm "
        "install @lumio/sdk). [Both handle pagination and retries on E-429 for you.|They take "
        "care of cursors and rate-limit retries.]",
    )


def admin(c: Corpus) -> None:
    c.add(
        "admin/console", "What's in the admin console",
        "Admins open the admin console from the workspace menu. It holds Members, Billing, "
        "Security, Integrations and Settings, [plus the Audit log on Enterprise.|and Enterprise "
        "workspaces also get the Audit log.]",
    )
    c.add(
        "admin/roles", "Workspace roles",
        "Owners control billing and can delete the workspace. Admins manage members, security and "
        "integrations. Members create and share content, and guests only see what's shared "
        "with them. [There is exactly one owner per workspace.|Every workspace has a single "
        "owner.]",
    )
    c.add(
        "admin/audit-log", "The audit log",
        "Enterprise workspaces record sign-ins, sharing changes, exports, permission changes "
        "and admin actions in Admin console > Audit log. [Events are kept for two "
        "years.|Entries are retained for 24 months.]",
    )
    c.add(
        "admin/audit-siem", "Send the audit log to your SIEM",
        "Audit events can be streamed to Splunk, Datadog or any HTTPS endpoint, or downloaded as "
        "CSV. Set it up under Admin console > Audit log > Streaming. [Enterprise only.|This "
        "requires the Enterprise plan.]",
    )
    c.add(
        "admin/retention", "Data retention rules",
        "Enterprise admins can delete pages automatically after a set time without edits, per "
        "notebook or workspace-wide. [Deleted pages go to the trash first, so there's a 30-day "
        "window to recover them.|Pages removed by a rule still spend 30 days in the trash.]",
    )
    c.add(
        "admin/ip-allowlist", "Restrict access to office IP addresses",
        "With IP allowlisting on Enterprise, members can only open the workspace from the "
        "address ranges you list in Admin console > Security. [Owners can always sign in, to "
        "avoid lockouts.|The owner is exempt so you can't lock yourself out.]",
    )
    c.add(
        "admin/session", "How long members stay signed in",
        "By default sessions last 30 days on desktop and mobile and 14 days on the web. Admins "
        "on Business and Enterprise can shorten this [under Admin console > Security > "
        "Sessions.|in the Sessions section of the Security tab.]",
    )
    c.add(
        "admin/deactivate", "Deactivate someone who left the company",
        "Deactivating a member signs them out everywhere and frees their seat, while keeping "
        "everything they wrote. [Their private notebooks can then be reassigned to another "
        "member.|Afterwards you can hand their private notebooks to a colleague.]",
    )
    c.add(
        "admin/reactivate", "Reactivate a deactivated member",
        "In Admin console > Members, filter by Deactivated, open the person and click "
        "Reactivate. They regain their previous access [and are billed as a member "
        "again.|and take up a seat again.]",
    )
    c.add(
        "admin/domain-capture", "Bring existing company accounts into your workspace",
        "After verifying your domain, turn on Domain capture. Anyone with an email on that "
        "domain who signs up for Lumio joins your workspace automatically, [and existing "
        "personal accounts are invited to move over.|and people who already have accounts are "
        "asked to join.]",
    )
    c.add(
        "admin/analytics", "Workspace usage analytics",
        "Admin console > Analytics shows active members, pages created and the most viewed "
        "notebooks over the last 90 days. [The data can be downloaded as CSV.|You can export "
        "the charts as CSV.]",
    )
    c.add(
        "admin/disable-links", "Turn off public links for the whole workspace",
        "Under Admin console > Security > Sharing, untick Allow public links. [Existing public "
        "links stop working immediately,|All current public links go dead right away,] and "
        "published sites are taken down.",
    )
    c.add(
        "admin/disable-export", "Stop members from exporting content",
        "Business and Enterprise admins can disable PDF, Markdown, Word and HTML exports for "
        "members and guests. Admins keep the ability to export. [Printing is disabled "
        "too.|The print option is also hidden.]",
    )
    c.add(
        "admin/legal-hold", "Place content on legal hold",
        "Enterprise admins can put a member or notebook on legal hold. Held content can't be "
        "permanently deleted by anyone, [including retention rules,|and retention rules skip "
        "it] until the hold is released.",
    )


def security(c: Corpus) -> None:
    c.add(
        "sec/encryption", "How Lumio encrypts your data",
        "Data is encrypted in transit with TLS 1.2 or later and at rest with AES-256. "
        "Encryption keys are managed in a dedicated key management service [and rotated "
        "yearly.|and rotated every year.]",
    )
    c.add(
        "sec/locked-pages", "End-to-end encrypted Locked pages",
        "A Locked page is encrypted on your device with a passphrase that we never see. If "
        "you forget the passphrase the content can't be recovered, [not even by support.|and "
        "support cannot help.] Locked pages aren't searchable and can't be shared.",
    )
    c.add(
        "sec/soc2", "SOC 2 report",
        "Lumio has a SOC 2 Type II report covering security and availability, renewed every "
        "year. [Customers on Business and Enterprise can request it under NDA from the trust "
        "centre.|Business and Enterprise customers can download it from trust.lumio.app after "
        "signing an NDA.]",
    )
    c.add(
        "sec/gdpr", "GDPR and the data processing agreement",
        "Lumio acts as a processor for workspace content. Our DPA, including the EU Standard "
        "Contractual Clauses, is part of the terms of service [for every paid plan.|on all paid "
        "plans,] and can be countersigned from the admin console.",
    )
    c.add(
        "sec/residency", "Choose where your data is stored",
        "Enterprise workspaces can choose to keep content in the EU (Frankfurt) or the US "
        "(Oregon). [The region is set when the workspace is created; moving it later is a "
        "migration handled by support.|Changing region later requires a support-assisted "
        "migration.] Other plans are hosted in the US.",
    )
    c.add(
        "sec/hipaa", "Is Lumio HIPAA compliant?",
        "No. Lumio does not sign business associate agreements, [so please don't store protected "
        "health information in it.|and it shouldn't be used for protected health "
        "information.] Healthcare teams often use it for non-clinical work such as rotas.",
    )
    c.add(
        "sec/backups", "Backups and disaster recovery",
        "We back up all data every hour to a second region and keep backups for 35 days. "
        "[Backups are for disaster recovery; to restore a single page, use page history or the "
        "trash.|Individual pages can't be restored from backups, use history or the trash.]",
    )
    c.add(
        "sec/bugbounty", "Report a security vulnerability",
        "Email security@lumio.app or submit through our bug bounty programme. [We respond within "
        "two business days|You'll get an answer within 48 hours on working days] and ask that "
        "you don't disclose the issue publicly until it's fixed.",
    )
    c.add(
        "sec/subprocessors", "Subprocessors",
        "The current list of companies that process data for Lumio, such as our cloud host and "
        "email provider, is at lumio.app/subprocessors. [Admins can subscribe to be emailed "
        "before changes.|Subscribe there to hear about changes 30 days in advance.]",
    )
    c.add(
        "sec/ai-training", "Is my content used to train AI models?",
        "No. Content in your workspace is never used to train AI models, ours or a partner's. "
        "[Lumio Assist sends only the text you select to the model provider, which deletes it "
        "after processing.|When you use Lumio Assist, only the selected text is sent and it "
        "isn't retained.]",
    )


def notifications(c: Corpus) -> None:
    c.add(
        "notif/digest", "Email digests",
        "Lumio can email you a daily or weekly summary of comments, mentions and task changes. "
        "[Pick the frequency, or turn digests off,|Choose daily, weekly or never] under "
        "Settings > Notifications > Email.",
    )
    c.add(
        "notif/push-ios", "Push notifications on iPhone",
        "If you don't get push notifications on iOS, open the iPhone Settings app > "
        "Notifications > Lumio and allow them. [Focus modes can also hide them; add Lumio to "
        "the allowed apps.|Check that your Focus mode isn't silencing Lumio.]",
    )
    c.add(
        "notif/push-android", "Push notifications on Android",
        "On Android, go to system Settings > Apps > Lumio > Notifications and make sure the "
        "channels you want are on. [Battery optimisation can delay notifications, so set Lumio "
        "to Unrestricted.|Some phones delay notifications to save battery; exclude Lumio from "
        "battery optimisation.]",
    )
    c.add(
        "notif/mac", "Desktop notifications on macOS",
        "Open System Settings > Notifications > Lumio and choose Banners or Alerts. [Lumio only "
        "sends desktop notifications while the app is running.|Notifications only arrive while "
        "the app is open or in the menu bar.]",
    )
    c.add(
        "notif/windows", "Desktop notifications on Windows",
        "In Windows Settings > System > Notifications, make sure Lumio is switched on and not "
        "hidden by Do not disturb. [Windows may group them in the notification centre without "
        "showing a banner.|Sometimes they only show up in the notification centre.]",
    )
    c.add(
        "notif/mute", "Mute a page or notebook",
        "Click the bell at the top of a page or notebook and choose Mute. You won't get "
        "notifications about edits or comments there, [except when someone mentions you "
        "directly.|though direct @mentions still come through.]",
    )
    c.add(
        "notif/reminders", "Task reminders",
        "When a task has a due date, Lumio reminds the assignee at 9:00 on the due date by "
        "default. [Add a custom reminder time from the task's clock icon.|Click the clock icon "
        "on a task to set another reminder.]",
    )
    c.add(
        "notif/quiet", "Quiet hours",
        "Settings > Notifications > Quiet hours pauses push and desktop notifications during "
        "the hours you choose, [for example outside your working day.|such as evenings and "
        "weekends.] Everything missed shows up in the inbox afterwards.",
    )
    c.add(
        "notif/email-missing", "Not getting emails from Lumio",
        "Check spam and promotions folders and add notifications@lumio.app to your contacts. "
        "[Company mail filters sometimes hold our emails; ask IT to allow the sender.|If your "
        "company filters email, IT may need to allow that address.]",
    )
    c.add(
        "notif/slack", "Get Lumio notifications in Slack",
        "After connecting Slack, go to Settings > Notifications > Slack to receive mentions and "
        "task assignments as Slack direct messages [instead of email.|rather than by email.]",
    )


def search(c: Corpus) -> None:
    c.add(
        "search/operators", "Search operators",
        "Use quotes for exact phrases, tag:design to filter by tag, in:Roadmap to search one "
        "notebook and is:task to show only tasks. [Operators can be combined, for example "
        "\"launch plan\" in:Marketing.|You can combine them in one query.]",
    )
    c.add(
        "search/attachments", "Search inside PDFs and attachments",
        "On Plus and above, Lumio indexes the text inside attached PDFs, Word files and "
        "spreadsheets, so search results include matches within attachments. [Indexing a large "
        "file can take a few minutes after upload.|New attachments become searchable within a "
        "few minutes.]",
    )
    c.add(
        "search/ocr", "Find text in images and scans",
        "Business and Enterprise run text recognition on images, scanned documents and "
        "handwriting, so a photo of a whiteboard can be found by the words on it. [Recognition "
        "supports 20 languages.|Text recognition works in 20 languages.]",
    )
    c.add(
        "search/missing", "A new page doesn't show up in search",
        "New and edited pages are usually searchable within a minute. If a page is still "
        "missing, check that it isn't a Locked page and that you're not searching inside a "
        "single notebook. [On desktop, Help > Troubleshooting > Reindex search can fix a stale "
        "index.|A stale desktop index can be rebuilt from the Help menu.]",
    )
    c.add(
        "search/saved", "Save a search",
        "After running a search, click Save to pin it in the sidebar. Saved searches update as "
        "content changes, [which makes them useful as dynamic lists.|so they work like smart "
        "folders.]",
    )
    c.add(
        "search/mobile-offline", "Searching without a connection on mobile",
        "Offline search on iOS and Android covers page titles and text in notebooks that are "
        "downloaded for offline use. [Attachment contents are only searchable online.|Text "
        "inside attachments needs a connection.]",
    )
    c.add(
        "search/cross-workspace", "Search across all my workspaces",
        "Search covers the current workspace. [To look everywhere, tick All workspaces in the "
        "search filters.|Turn on the All workspaces filter to include the others you belong "
        "to.] Results show which workspace each page comes from.",
    )


def templates(c: Corpus) -> None:
    c.add(
        "tpl/create", "Turn a page into a template",
        "Open the page and choose ••• > Save as template. [It appears in the New page menu for "
        "you.|You'll find it under New page > My templates.] Editing the template later doesn't "
        "change pages already made from it.",
    )
    c.add(
        "tpl/gallery", "The template gallery",
        "The gallery has ready-made templates for meeting notes, project briefs, OKRs, bug "
        "triage and onboarding checklists. [Open it from New page > Browse templates.|Browse "
        "it from the New page menu.]",
    )
    c.add(
        "tpl/meeting", "Default template for meeting notes",
        "If Google or Outlook Calendar is connected, you can pick which template is used when "
        "you create notes from an event. [Set it in Settings > Integrations > Calendar > "
        "Meeting template.|The setting lives under the calendar integration.]",
    )
    c.add(
        "tpl/share", "Share templates with your whole team",
        "Admins and notebook owners can publish a template to the workspace so every member "
        "sees it under Team templates. [Only the template's owner can edit it.|Other people "
        "can use it but not change it.]",
    )
    c.add(
        "tpl/recurring", "Create a page automatically every day or week",
        "In a notebook's ••• menu, choose Repeat template to create a new page from a template "
        "on a schedule, such as a daily stand-up page every weekday at 8:00. [Pages are titled "
        "with the date.|Each new page gets the date in its title.]",
    )
    c.add(
        "tpl/variables", "Variables in templates",
        "Templates can include {{date}}, {{time}}, {{author}} and {{notebook}}. They're replaced "
        "with real values when a page is created from the template. [Dates use your language "
        "settings.|Date formats follow your language preferences.]",
    )


def tasks(c: Corpus) -> None:
    c.add(
        "task/create", "Create a task",
        "Type /task in any page or press Ctrl+Shift+T (Cmd+Shift+T on Mac). Tasks written in "
        "pages also show up in My tasks and [on any board they're added to.|on the board you "
        "pick.]",
    )
    c.add(
        "task/assign", "Assign a task and set a due date",
        "Click the task's avatar slot to assign someone, and the calendar icon to add a due date. "
        "[Only one person can be assigned; use subtasks to split the work.|A task has a single "
        "assignee, so split shared work into subtasks.]",
    )
    c.add(
        "task/recurring", "Repeating tasks",
        "Set a task to repeat daily, weekly, monthly or on specific weekdays from the due date "
        "picker. [When you complete it, the next one is created automatically.|Completing it "
        "creates the next occurrence.]",
    )
    c.add(
        "task/subtasks", "Subtasks",
        "Press Tab on a new line inside a task to add a subtask. Subtasks can have their own "
        "assignees and due dates, [up to three levels deep.|and can be nested three levels.]",
    )
    c.add(
        "task/boards", "Kanban boards",
        "A board shows tasks as cards in columns, one column per status. Drag cards to change "
        "status, [or group the board by assignee or due date instead.|or switch grouping to "
        "assignee or priority.]",
    )
    c.add(
        "task/dependencies", "Task dependencies",
        "On Business and Enterprise, mark a task as blocked by another. Blocked tasks show a "
        "red marker, and [their due dates can shift automatically when the blocker slips.|if "
        "the blocking task moves, dependent due dates can move with it.]",
    )
    c.add(
        "task/checklist", "Turn checklist items into tasks",
        "Select checklist lines and choose Convert to tasks from the toolbar. [Each line becomes "
        "a task you can assign and date.|They become real tasks with assignees and due "
        "dates.]",
    )
    c.add(
        "task/move", "Move tasks between boards",
        "Open a task and use Move to pick another board, or drag it onto a board's name in the "
        "sidebar. [Custom fields that don't exist on the target board are kept but hidden.|Fields "
        "missing from the new board are hidden, not deleted.]",
    )
    c.add(
        "task/my-tasks", "The My tasks view",
        "My tasks gathers everything assigned to you across all notebooks and boards, sorted by "
        "due date. [Overdue tasks are pinned to the top.|Late tasks appear first.]",
    )
    c.add(
        "task/statuses", "Customise task statuses",
        "Each board has its own statuses. Open board settings > Statuses to rename them, change "
        "their colour or add new ones such as In review. [Every board needs at least one done "
        "status.|One status must be marked as done.]",
    )


def editor(c: Corpus) -> None:
    c.add(
        "edit/markdown-shortcuts", "Markdown shortcuts in the editor",
        "Type # for a heading, - for a bullet, [] for a checkbox and ``` for a code block; the "
        "formatting is applied as you type. [Paste Markdown and Lumio converts it too.|Pasted "
        "Markdown is converted automatically.]",
    )
    c.add(
        "edit/tables", "Add a table",
        "Type /table to insert a table. Drag column borders to resize, and use the column menu "
        "to sort or change the type to number, date or checkbox. [Tables can have up to 50 "
        "columns.|A table holds at most 50 columns.]",
    )
    c.add(
        "edit/code", "Code blocks and syntax highlighting",
        "Insert a code block with /code or three backticks and pick a language from the corner "
        "menu. [Over 60 languages are highlighted.|Syntax highlighting covers more than 60 "
        "languages.] Code blocks keep tabs when you export to Markdown.",
    )
    c.add(
        "edit/callouts", "Callout blocks",
        "Use /callout to add a coloured box with an icon for warnings, tips or notes. [Change "
        "the icon and colour from the block menu.|Click the icon to choose another one.]",
    )
    c.add(
        "edit/backlinks", "Link between pages and see backlinks",
        "Type [[ and start typing a page name to link it. The linked page lists every page that "
        "points to it in the Backlinks section at the bottom. [Links update when pages are "
        "renamed.|Renaming a page doesn't break links.]",
    )
    c.add(
        "edit/tags", "Organise pages with tags",
        "Add tags from the page header or by typing #tag in the title area. Click a tag to see "
        "every page that has it, [or filter search with tag:.|or use tag: in search.]",
    )
    c.add(
        "edit/favorites", "Favourite pages",
        "Click the star on any page to add it to Favourites at the top of the sidebar. "
        "[Favourites are personal and sync across your devices.|Only you see your favourites, "
        "on every device.]",
    )
    c.add(
        "edit/math", "Write equations",
        "Type /math for a block equation or wrap inline formulas in $ signs. Lumio renders "
        "LaTeX syntax with KaTeX, [and equations export to PDF as vector graphics.|and PDF "
        "exports keep equations sharp.]",
    )
    c.add(
        "edit/comments", "Comment on text",
        "Select text and click the speech bubble, or press Ctrl+Alt+M (Cmd+Option+M on Mac). "
        "Comment threads can be resolved; [resolved threads are hidden but stay in the "
        "comments panel.|resolving hides a thread without deleting it.]",
    )
    c.add(
        "edit/trash", "Restore a deleted page",
        "Deleted pages go to Trash in the sidebar, where you can restore them for 30 days. "
        "[After that they're deleted permanently.|After 30 days they are removed for good.] "
        "Restored pages return to their original notebook.",
    )
    c.add(
        "edit/delete-forever", "Permanently delete a page",
        "In Trash, open the page's menu and choose Delete permanently. [This can't be "
        "undone,|There's no way back,] and the page also disappears from page history.",
    )
    c.add(
        "edit/history", "Restore an earlier version of a page",
        "Open ••• > Page history to see saved versions, with changes highlighted. Select a "
        "version and click Restore; [the current text is saved as a version first, so nothing "
        "is lost.|your current version is kept in history too.]",
    )
    c.add(
        "edit/restore-notebook", "Recover a deleted notebook",
        "Deleted notebooks stay in the trash for 30 days. Members can restore notebooks they "
        "owned; [admins can restore any notebook from Admin console > Settings > Deleted "
        "notebooks.|admins can restore anyone's from the admin console.]",
    )


def assist(c: Corpus) -> None:
    c.add(
        "ai/assist", "What is Lumio Assist?",
        "Lumio Assist is an AI helper that can summarise pages, draft text, turn notes into "
        "action items and answer questions about your workspace. [It's an add-on for Plus and "
        "Business at $6 per member per month and included in Enterprise.|Plus and Business "
        "workspaces can add it for $6 per member per month; Enterprise includes it.]",
    )
    c.add(
        "ai/summarize", "Summarise a long page",
        "Select Assist > Summarise in the page menu to get a short summary at the top of the "
        "page. [You can choose bullet points or a paragraph.|Pick between a paragraph and a "
        "bullet list.]",
    )
    c.add(
        "ai/action-items", "Pull action items out of meeting notes",
        "In a meeting notes page, choose Assist > Find action items. Lumio suggests tasks with "
        "assignees based on names in the notes, [and you confirm before they're created.|which "
        "you review before adding them.]",
    )
    c.add(
        "ai/admin", "Turn Lumio Assist off for the workspace",
        "Admins can disable Assist entirely, or only for certain notebooks, under Admin console "
        "> Settings > Lumio Assist. [Disabled notebooks are also excluded from Assist's "
        "answers.|Excluded notebooks are never used to answer questions.]",
    )


def account(c: Corpus) -> None:
    c.add(
        "acct/delete", "Delete your Lumio account",
        "Go to Settings > Account > Delete account. If you own a workspace, transfer ownership or "
        "delete the workspace first. [Your account is removed after a 14-day grace "
        "period.|Deletion is final after 14 days.]",
    )
    c.add(
        "acct/profile", "Change your name and profile photo",
        "Update your display name and photo under Settings > Profile. [Changes show up for "
        "teammates immediately.|Teammates see the new name right away.] If your account is "
        "managed by SCIM, your name comes from the identity provider.",
    )
    c.add(
        "acct/workspace-url", "Change your workspace URL",
        "Owners can change the workspace address under Admin console > Settings > General. Old "
        "links redirect for 90 days, [but published sites move to the new address at "
        "once.|while published sites switch to the new address immediately.]",
    )
    c.add(
        "acct/leave", "Leave a workspace",
        "Open the workspace menu, choose Settings > Workspaces and click Leave next to the "
        "workspace. [Pages you created stay behind for your teammates.|Your pages remain in the "
        "workspace.] Owners must transfer ownership before leaving.",
    )
    c.add(
        "acct/merge", "Merge two Lumio accounts",
        "Accounts can't be merged automatically. [Export notebooks from one account and import "
        "them into the other, or share them and move them over.|Share notebooks from the old "
        "account with the new one, or export and re-import them.]",
    )
    c.add(
        "acct/language", "Change the app language",
        "Lumio is available in 14 languages. Choose yours under Settings > Preferences > "
        "Language; [the mobile apps follow your phone's language.|on mobile, the app uses the "
        "device language.]",
    )
    c.add(
        "acct/timezone", "Set your time zone",
        "Due dates and reminders use the time zone in Settings > Preferences > Time zone, which "
        "is detected automatically. [Turn off automatic detection if you travel but want to "
        "keep your home zone.|Switch off auto-detect to keep reminders on home time while "
        "travelling.]",
    )
    c.add(
        "acct/switch", "Switch between workspaces",
        "Click the workspace name at the top of the sidebar to switch, or press Ctrl+Alt+1 to 9 "
        "(Cmd+Option+1 to 9 on Mac) [to jump to a workspace by its position.|for the first nine "
        "workspaces.]",
    )


def release_notes(c: Corpus) -> None:
    c.add(
        "rel/4.0", "Release notes: Lumio 4.0",
        "Lumio 4.0 introduces the new block editor, with drag handles, tables and callouts. "
        "Boards are rebuilt for speed, and [the old v1 API is now deprecated.|we've announced "
        "the retirement of the v1 API.]",
    )
    c.add(
        "rel/4.1", "Release notes: Lumio 4.1",
        "4.1 adds recurring tasks, task reminders and Markdown export for whole notebooks. "
        "[Fixed: exporting to PDF no longer drops images in tables.|We also fixed missing "
        "images in PDF exports of tables.]",
    )
    c.add(
        "rel/4.2-desktop", "Release notes: Lumio 4.2 for Mac and Windows",
        "The 4.2 desktop apps add the global quick capture shortcut and a menu bar app on Mac. "
        "[Startup is up to 40% faster on Windows.|Windows startup time is reduced by up to 40%.] "
        "Fixed E-1001 after the computer wakes from sleep.",
    )
    c.add(
        "rel/4.3-ios", "Release notes: Lumio 4.3 for iOS",
        "Lumio 4.3 for iPhone and iPad brings lock screen widgets, Apple Pencil handwriting "
        "search and document scanning to multi-page PDFs. [Fixed a crash when opening very long "
        "pages offline.|Fixes a crash on long offline pages.]",
    )
    c.add(
        "rel/4.3-android", "Release notes: Lumio 4.3 for Android",
        "Lumio 4.3 for Android adds resizable task widgets, fingerprint app lock and Wi-Fi-only "
        "attachment downloads. [Fixed: E-1002 appeared even when storage was available on some "
        "Samsung phones.|Fixes false E-1002 warnings on some Samsung devices.]",
    )
    c.add(
        "rel/4.4-web", "Release notes: Lumio 4.4 on the web",
        "The web app can now show recently opened pages offline in Chrome and Edge. Search "
        "results load faster and [support the in: and is: operators.|understand in: and is: "
        "filters.]",
    )
    c.add(
        "rel/4.4.1", "Release notes: Lumio 4.4.1 hotfix",
        "4.4.1 fixes a sync bug where edits made offline on two devices could raise E-409 even "
        "when they touched different paragraphs. [It also fixes Safari sign-in loops for some "
        "users.|Safari users stuck in a sign-in loop should update too.]",
    )
    c.add(
        "rel/4.5", "Release notes: Lumio 4.5",
        "Lumio 4.5 brings two-way Jira sync for Business and Enterprise, password-protected "
        "share links and task dependencies. [Workspace export now includes a workspace.json "
        "file.|Full workspace backups now include members and permissions.]",
    )
    c.add(
        "rel/4.6", "Release notes: Lumio 4.6",
        "4.6 adds Lumio Assist, EU data residency for Enterprise and SCIM group sync with "
        "Microsoft Entra ID. [Webhook signatures now use HMAC-SHA256; SHA-1 signatures are "
        "removed.|The X-Lumio-Signature header switches to HMAC-SHA256.]",
    )


def more_topics(c: Corpus) -> None:
    """Second-pass articles: more near neighbours for topics the queries touch."""
    c.add(
        "export/board-pdf", "Export a board as PDF",
        "Board views export as a one-page PDF snapshot of the columns and cards from ••• > "
        "Export > PDF. [Card descriptions aren't included; use CSV export for the full task "
        "data.|For every field of every task, export the board to CSV instead.]",
    )
    c.add(
        "export/page-markdown", "Copy a single page as Markdown",
        "Choose ••• > Copy as Markdown to put the current page on your clipboard as Markdown "
        "text. [Attachments are copied as links, not files.|Images and files become links.] "
        "For a whole notebook with attachments, use Export > Markdown.",
    )
    c.add(
        "export/pdf-missing-images", "Images are missing from my PDF export",
        "Images from Google Drive, Dropbox or other embeds can't be printed into a PDF and show "
        "as links instead. Images uploaded to Lumio should appear; if they don't, [wait until "
        "the page finishes syncing and export again.|make sure every attachment has finished "
        "uploading before exporting.]",
    )
    c.add(
        "export/too-large", "Export fails or never finishes",
        "Exports of notebooks with many gigabytes of attachments can time out in the browser. "
        "[Run the export from the desktop app, or export the notebook in smaller "
        "parts.|Use the desktop app for very large exports, or split the notebook first.]",
    )
    c.add(
        "import/google-docs", "Import Google Docs",
        "Connect Google Drive under Settings > Import > Google Docs and pick documents or a "
        "whole folder. Docs become editable Lumio pages; [Sheets and Slides are embedded "
        "rather than converted.|spreadsheets and presentations are added as live embeds.]",
    )
    c.add(
        "import/apple-notes", "Import from Apple Notes",
        "The Mac desktop app can read Apple Notes directly: choose File > Import > Apple Notes "
        "and allow access when macOS asks. [Locked notes must be unlocked in Apple Notes "
        "first.|Password-protected notes are skipped unless you unlock them.]",
    )
    c.add(
        "import/trello", "Import Trello boards",
        "Export a board from Trello as JSON, then use Settings > Import > Trello. Lists become "
        "board columns, cards become tasks, and [checklists turn into subtasks.|card checklists "
        "arrive as subtasks.] Members are matched by email.",
    )
    c.add(
        "login/reset-email-missing", "The password reset email never arrives",
        "Reset emails come from no-reply@lumio.app within a couple of minutes. Check spam, and "
        "make sure you typed the address you signed up with. [If your workspace uses SSO, no "
        "email is sent at all.|Workspaces on SSO don't send reset emails.]",
    )
    c.add(
        "login/new-device", "Confirming sign-in on a new device",
        "The first time you sign in on a new computer or phone, we may email you a confirmation "
        "link. [This helps stop someone who learned your password from getting in.|It's an "
        "extra check in case your password leaked.] Two-factor authentication replaces this "
        "check.",
    )
    c.add(
        "login/sign-out-all", "Sign out of every device",
        "Go to Settings > Account > Sessions to see where you're signed in, and click Sign out "
        "of all other sessions. [Use it if you lost a laptop or phone.|It's the first thing to "
        "do after losing a device.]",
    )
    c.add(
        "error/E-408", "Error E-408: upload timed out",
        "E-408 means an attachment upload took too long, usually on a slow or unstable "
        "connection. Lumio retries in the background; [if it keeps failing, try again on a "
        "faster network.|on poor connections, wait for Wi-Fi and retry.]",
    )
    c.add(
        "error/E-422", "API error E-422: invalid request body",
        "The API returns E-422 when the JSON is valid but a field is wrong, such as a due_date "
        "that isn't an ISO 8601 date or an unknown board_id. The response's errors array [names "
        "each invalid field.|lists the fields that failed validation.]",
    )
    c.add(
        "error/E-1004", "Error E-1004: this version of Lumio is too old",
        "Very old app versions can no longer talk to the sync service and show E-1004. Update "
        "from the App Store, Google Play or lumio.app/download. [Your offline edits are kept and "
        "upload after the update.|Local changes sync once you're on the new version.]",
    )
    c.add(
        "error/E-2013", "Error E-2013: this workspace requires SSO",
        "You see E-2013 when you try to sign in with a password or Google, but your workspace "
        "requires single sign-on. Click Continue with SSO and enter your work email; [you'll be "
        "sent to your company's login page.|your identity provider handles the rest.]",
    )
    c.add(
        "billing/charged-twice", "Why do I see two charges?",
        "When you change cards or upgrade, your bank may show a temporary authorisation next to "
        "the real charge. [The hold disappears within a few days.|Banks usually release it in "
        "three to five days.] Only the charges listed under Invoices are final.",
    )
    c.add(
        "billing/annual-to-monthly", "Switching from annual to monthly billing",
        "You can switch an annual plan to monthly, but the change takes effect at your next "
        "renewal date. [Annual payments aren't partially refunded.|The remaining months of the "
        "annual term aren't refunded.]",
    )
    c.add(
        "billing/enterprise-seats", "Adding seats to an Enterprise contract",
        "Enterprise workspaces can add members beyond the contracted seats at any time. "
        "[Extra seats are counted each quarter and invoiced at your contract price.|We true up "
        "additional seats quarterly at the agreed rate.]",
    )
    c.add(
        "sync/ios-background", "Notes aren't up to date when I open the iPhone app",
        "iOS only lets apps sync in the background occasionally. Turn on Background App Refresh "
        "for Lumio in the iPhone Settings app, [and avoid force-quitting the app.|and don't "
        "swipe the app away,] so it can fetch changes before you open it.",
    )
    c.add(
        "sync/android-battery", "Android app stops syncing in the background",
        "Battery savers on many Android phones stop Lumio from syncing when it's not on screen. "
        "[Set Lumio's battery usage to Unrestricted in system settings.|Exclude Lumio from "
        "battery optimisation in Android settings.]",
    )
    c.add(
        "offline/linux", "Offline use on Linux",
        "The Linux beta works offline like the Mac and Windows apps, [but the offline "
        "database is stored in ~/.config/Lumio, so keep enough free space there.|storing its "
        "local copy under ~/.config/Lumio.] Edits made without a connection upload the next "
        "time the app is online.",
    )
    c.add(
        "share/team", "Share a notebook with a whole team",
        "Type a team's name in the notebook's Share menu instead of individual emails. [Anyone "
        "added to the team later gets access automatically.|New team members are included "
        "automatically.] Teams are created by admins or synced from SCIM groups.",
    )
    c.add(
        "share/guest-cant-see", "A guest can't see the page I shared",
        "Guests must sign in with the exact email address you invited. [If they use a different "
        "address, invite that one too.|Ask them which address they signed in with.] Also check "
        "that admins haven't restricted sharing to company domains.",
    )
    c.add(
        "share/duplicate", "Duplicate a page or notebook",
        "Choose ••• > Duplicate to copy a page with its sub-pages and attachments. The copy is "
        "private to you until you share it; [comments and page history are not "
        "copied.|history and comments stay with the original.]",
    )
    c.add(
        "mobile/ipad-keyboard", "Keyboard shortcuts on iPad",
        "With a hardware keyboard, Lumio on iPad supports the same Cmd shortcuts as the Mac app. "
        "[Hold Cmd to see the list.|Press and hold the Cmd key to show them.]",
    )
    c.add(
        "mobile/siri", "Add tasks with Siri",
        "After you open Lumio once, Shortcuts offers actions such as Add task and Create quick "
        "note. [Say \"Hey Siri, add a Lumio task\" to dictate one.|You can trigger them by voice "
        "with Siri.]",
    )
    c.add(
        "desktop/linux", "Install Lumio on Linux",
        "Download the AppImage or .deb package from lumio.app/download. The Linux app is a beta "
        "and [doesn't update itself yet, so check for new versions monthly.|has no auto-update, "
        "so reinstall to upgrade.]",
    )
    c.add(
        "desktop/mac-damaged", "Mac says Lumio is damaged and can't be opened",
        "This message appears when macOS blocks a download that was modified or incompletely "
        "copied. Delete the app, download it again from lumio.app/download and [drag it to "
        "Applications before opening.|move it into Applications first.]",
    )
    c.add(
        "desktop/msi", "Deploy the Windows app across your company",
        "IT teams can install Lumio silently with the MSI package from lumio.app/download/"
        "enterprise. [It supports per-machine installs and disabling auto-update through "
        "group policy.|Group policy can control updates and the default workspace URL.]",
    )
    c.add(
        "desktop/spellcheck", "Spell check language",
        "The desktop apps use your operating system's spell checker. [Right-click a word to "
        "choose another language.|Right-click in a page and pick Spelling language to switch.] "
        "Spell checking can be turned off in Settings > Editor.",
    )
    c.add(
        "int/teams-notify", "Lumio notifications in Microsoft Teams",
        "With the Teams app installed, mentions and task assignments can arrive in your Teams "
        "activity feed. [Turn it on under Settings > Notifications > Microsoft Teams.|Enable it "
        "from the Notifications settings in Lumio.]",
    )
    c.add(
        "int/gcal-missing", "Calendar events don't appear in Lumio",
        "Only calendars you tick under Settings > Integrations > Google Calendar are shown. "
        "[Events appear up to 15 minutes after they're created.|New events can take a quarter "
        "of an hour to show up.] Reconnecting refreshes the permission if it expired.",
    )
    c.add(
        "int/gitlab", "Link GitLab merge requests",
        "Connect GitLab.com or a self-managed GitLab under Settings > Integrations. Paste a "
        "merge request URL into a task to track its status; [self-managed servers must be "
        "reachable from the internet.|self-hosted GitLab has to be reachable by Lumio.]",
    )
    c.add(
        "int/loom", "Embed Loom and YouTube videos",
        "Paste a Loom, YouTube or Vimeo link and choose Embed to play the video inside the page. "
        "[Videos aren't stored in Lumio and don't use storage.|Embedded videos don't count "
        "toward your storage.]",
    )
    c.add(
        "api/update-page", "Update a page with the API",
        "Send PATCH /v2/pages/{id} with the blocks to change and the page's current version in "
        "If-Match. [The token needs pages:write.|This requires the pages:write scope.] Blocks "
        "you don't mention are left untouched.",
    )
    c.add(
        "api/delete", "Delete pages through the API",
        "DELETE /v2/pages/{id} moves a page to the trash, exactly like deleting it in the app. "
        "[It can be restored for 30 days.|Restore is possible for 30 days.] Permanent deletion "
        "isn't available through the API.",
    )
    c.add(
        "api/admin-members", "List and manage members with the admin API",
        "Tokens with the admin scope can list members, change roles and deactivate accounts "
        "through /v2/admin/members. [Only workspace admins can create admin-scoped "
        "tokens.|Admin-scoped tokens can only be made by admins.]",
    )
    c.add(
        "admin/bulk-invite", "Invite many people at once",
        "In Admin console > Members, click Invite and upload a CSV with one email per line, "
        "optionally with a role column. [Up to 500 people can be invited per file.|Each upload "
        "can hold 500 addresses.]",
    )
    c.add(
        "admin/default-notebooks", "Notebooks every new member joins",
        "Admins can mark notebooks as default under Admin console > Settings > Onboarding, so "
        "new members have them in the sidebar from day one. [It's a good place for handbooks "
        "and team wikis.|Use it for handbooks and wikis.]",
    )
    c.add(
        "admin/disable-guests", "Turn off guest access",
        "Under Admin console > Security > Sharing, untick Allow guests. Existing guests lose "
        "access immediately, [and members can no longer invite people from outside.|and the "
        "Share menu stops accepting outside addresses.]",
    )
    c.add(
        "notif/comments-only", "Only get notified about comments and mentions",
        "In Settings > Notifications, set Page edits to Off and keep Comments and Mentions on. "
        "[You can choose separately for push, email and desktop.|Each channel, push, email and "
        "desktop, has its own switches.]",
    )
    c.add(
        "notif/agenda", "Daily agenda email",
        "Turn on Daily agenda to get an email at 7:00 local time with today's tasks, overdue "
        "tasks and calendar events. [It's sent only on days with something due.|No email is "
        "sent on empty days.]",
    )
    c.add(
        "search/date", "Search by date",
        "Use created:2024-05 or edited:last-week in the search bar, or open Filters and pick a "
        "date range. [Dates follow your time zone setting.|Date filters use your own time "
        "zone.]",
    )
    c.add(
        "search/author", "Find pages written by a specific person",
        "Type by:@name in search, or use the Author filter, to show pages created by one "
        "person. [Pages they only edited are found with edited-by:@name.|edited-by:@name "
        "finds pages they changed.]",
    )
    c.add(
        "rel/4.6.1-android", "Release notes: Lumio 4.6.1 for Android",
        "This update fixes notifications arriving late on phones with aggressive battery "
        "savers and a bug where the Tasks widget showed completed tasks. [Android 9 is no "
        "longer supported.|Support for Android 9 ends with this release.]",
    )
    c.add(
        "rel/4.7", "Release notes: Lumio 4.7",
        "Lumio 4.7 adds Apple Notes and Trello importers, search by date and author, and "
        "E-2013 messages that point people to SSO sign-in. [The Linux app leaves alpha and "
        "becomes a public beta.|Linux builds are now a public beta.]",
    )


FAMILIES = (
    export_import, errors, login, sso, billing, limits, sync_offline, sharing, mobile, desktop,
    integrations, api, admin, security, notifications, search, templates, tasks, editor, assist,
    account, release_notes, more_topics,
)

# Queries as users type them. Positives are document keys. The last three are deliberately hard:
# the answer is phrased very differently from the question.
LABELS: tuple[Label, ...] = (
    Label("how do I get my notes out as a pdf", ("export/pdf",)),
    Label("export whole notebook to markdown files for obsidian", ("export/markdown",)),
    Label("can I turn a pdf into an editable lumio page", ("import/pdf",)),
    Label("download my board's tasks as a spreadsheet csv", ("export/csv",)),
    Label("move my notes over from evernote", ("import/evernote",)),
    Label("how to bring onenote notebooks into lumio on a mac", ("import/onenote",)),
    Label("save a single page as pdf from my android phone", ("export/mobile-pdf",)),
    Label("what does error E-403 mean when syncing", ("error/E-403-sync",)),
    Label("api keeps returning E-401 even though I set the token", ("error/E-401-api",)),
    Label("E-409 conflict error after editing on laptop and phone offline",
          ("error/E-409-sync", "sync/conflicts")),
    Label("getting E-429 from the REST API, how long should I wait",
          ("error/E-429-api", "limits/api")),
    Label("iphone app says E-1002", ("error/E-1002",)),
    Label("desktop app shows E-1001 on startup", ("error/E-1001",)),
    Label("E-2010 when logging in through okta", ("error/E-2010",)),
    Label("forgot my password but we log in with SSO", ("login/reset-sso",)),
    Label("reset password in the android app", ("login/reset-android",)),
    Label("lost my phone with the authenticator and didn't save the backup codes",
          ("login/2fa-lost",)),
    Label("can admins force SSO login for everyone", ("sso/enforce",)),
    Label("set up saml with azure ad", ("sso/setup-entra",)),
    Label("auto provision and deprovision users from okta", ("sso/scim-okta",)),
    Label("is SSO available on the plus plan", ("sso/plans", "plan/plus")),
    Label("how much does the business plan cost per user", ("plan/business",)),
    Label("what is the max file upload size on plus", ("limits/upload", "plan/plus")),
    Label("what do we lose if we go back to the free plan", ("billing/downgrade-free",)),
    Label("can I get my money back on an annual subscription", ("billing/refunds",)),
    Label("add our VAT number to invoices", ("billing/vat",)),
    Label("card got declined what happens to our workspace", ("billing/failed-payment",)),
    Label("how far back does version history go on business", ("limits/history",)),
    Label("does lumio work offline on android", ("offline/android",)),
    Label("can I edit pages in the browser without internet", ("offline/web",)),
    Label("sync icon stuck spinning forever", ("sync/stuck",)),
    Label("password protect a shared page link", ("share/password",)),
    Label("make a shared link stop working after a week", ("share/expiry",)),
    Label("hand over a notebook to a colleague", ("share/transfer-notebook",)),
    Label("scan receipts with my android phone", ("mobile/scan-android",)),
    Label("home screen widget for tasks on iphone", ("mobile/widget-ios",)),
    Label("turn a slack message into a task", ("int/slack",)),
    Label("sync lumio boards with jira issues", ("int/jira",)),
    Label("how do I check the webhook signature header", ("api/webhook-signature",)),
    Label("create a task through the api", ("api/create-task",)),
    Label("where can I see who exported data from our workspace", ("admin/audit-log",)),
    Label("lock down access to our office ip range", ("admin/ip-allowlist",)),
    Label("is lumio hipaa compliant", ("sec/hipaa",)),
    Label("no push notifications on android phone", ("notif/push-android",)),
    Label("search text inside attached pdf files", ("search/attachments",)),
    Label("find a whiteboard photo by the words written on it", ("search/ocr",)),
    Label("automatically make a daily standup page every morning", ("tpl/recurring",)),
    Label("get back a page I deleted by accident", ("edit/trash",)),
    Label("password login says my workspace requires sso", ("error/E-2013",)),
    Label("import trello cards as lumio tasks", ("import/trello",)),
    # Hard: vocabulary gap between question and answer.
    Label("a coworker quit and their private stuff is stuck, how do I get it",
          ("admin/deactivate", "share/transfer-notebook")),
    Label("lumio won't connect since my laptop battery died and the date reset",
          ("error/E-1003",)),
    Label("can we keep customer notes from being stored on american servers",
          ("sec/residency",)),
)


def build() -> tuple[list[dict[str, str]], list[dict[str, object]]]:
    rng = random.Random(SEED)
    corpus = Corpus(rng)
    for family in FAMILIES:
        family(corpus)
    docs = list(corpus.docs)
    rng.shuffle(docs)
    width = max(3, len(str(len(docs))))
    key_to_id = {d.key: f"doc_{i:0{width}d}" for i, d in enumerate(docs, start=1)}
    rows = [{"_id": key_to_id[d.key], "title": d.title, "text": d.text} for d in docs]
    labels: list[dict[str, object]] = []
    for i, label in enumerate(LABELS, start=1):
        missing = [k for k in label.positives if k not in key_to_id]
        if missing:
            raise ValueError(f"query {label.query!r}: unknown positive keys {missing}")
        labels.append(
            {"qid": f"q{i:02d}", "query": label.query,
             "positives": [key_to_id[k] for k in label.positives]}
        )
    return rows, labels


def validate(rows: list[dict[str, str]], labels: list[dict[str, object]]) -> list[str]:
    problems: list[str] = []
    ids = [r["_id"] for r in rows]
    if len(set(ids)) != len(ids):
        problems.append("duplicate document ids")
    for r in rows:
        for field in ("_id", "title", "text"):
            if not r[field].strip():
                problems.append(f"{r['_id']}: empty {field}")
        if _ALT.search(r["title"] + r["text"]):
            problems.append(f"{r['_id']}: unexpanded alternative")
    texts = [r["text"] for r in rows]
    if len(set(texts)) != len(texts):
        problems.append("duplicate document texts")
    qids = [str(lab["qid"]) for lab in labels]
    if len(set(qids)) != len(qids):
        problems.append("duplicate qids")
    known = set(ids)
    for lab in labels:
        positives = lab["positives"]
        assert isinstance(positives, list)
        if not str(lab["query"]).strip():
            problems.append(f"{lab['qid']}: empty query")
        if not 1 <= len(positives) <= 3 or len(set(positives)) != len(positives):
            problems.append(f"{lab['qid']}: needs 1-3 distinct positives")
        problems.extend(f"{lab['qid']}: unknown positive {p}" for p in positives if p not in known)
    return problems


def write_jsonl(path: Path, rows: list[dict[str, str]] | list[dict[str, object]]) -> None:
    lines = [json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n" for row in rows]
    path.write_bytes("".join(lines).encode("utf-8"))


def main() -> int:
    rows, labels = build()
    problems = validate(rows, labels)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    write_jsonl(CORPUS_PATH, rows)
    write_jsonl(LABELS_PATH, labels)
    words = [len(r["text"].split()) for r in rows]
    n_pos = sum(len(lab["positives"]) for lab in labels)  # type: ignore[arg-type]
    print(f"documents: {len(rows)} (text words min {min(words)}, max {max(words)}, "
          f"mean {sum(words) / len(words):.1f}) -> {CORPUS_PATH}")
    print(f"queries:   {len(labels)} ({n_pos} positives) -> {LABELS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
