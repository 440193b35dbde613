"""Admin, assistant, account and release-note articles."""

from __future__ import annotations

from ..corpus import Corpus


def admin(c: Corpus) -> None:
    c.add(
        "admin/console",
        "What's in the admin console",
        "Admins open the admin console from the workspace menu. It holds Members, Billing, "
        "Security, Integrations and Settings, [plus the Audit log on Enterprise.|and Enterprise "
        "workspaces also get the Audit log.]",
    )
    c.add(
        "admin/roles",
        "Workspace roles",
        "Owners control billing and can delete the workspace. Admins manage members, security and "
        "integrations. Members create and share content, and guests only see what's shared "
        "with them. [There is exactly one owner per workspace.|Every workspace has a single "
        "owner.]",
    )
    c.add(
        "admin/audit-log",
        "The audit log",
        "Enterprise workspaces record sign-ins, sharing changes, exports, permission changes "
        "and admin actions in Admin console > Audit log. [Events are kept for two "
        "years.|Entries are retained for 24 months.]",
    )
    c.add(
        "admin/audit-siem",
        "Send the audit log to your SIEM",
        "Audit events can be streamed to Splunk, Datadog or any HTTPS endpoint, or downloaded as "
        "CSV. Set it up under Admin console > Audit log > Streaming. [Enterprise only.|This "
        "requires the Enterprise plan.]",
    )
    c.add(
        "admin/retention",
        "Data retention rules",
        "Enterprise admins can delete pages automatically after a set time without edits, per "
        "notebook or workspace-wide. [Deleted pages go to the trash first, so there's a 30-day "
        "window to recover them.|Pages removed by a rule still spend 30 days in the trash.]",
    )
    c.add(
        "admin/ip-allowlist",
        "Restrict access to office IP addresses",
        "With IP allowlisting on Enterprise, members can only open the workspace from the "
        "address ranges you list in Admin console > Security. [Owners can always sign in, to "
        "avoid lockouts.|The owner is exempt so you can't lock yourself out.]",
    )
    c.add(
        "admin/session",
        "How long members stay signed in",
        "By default sessions last 30 days on desktop and mobile and 14 days on the web. Admins "
        "on Business and Enterprise can shorten this [under Admin console > Security > "
        "Sessions.|in the Sessions section of the Security tab.]",
    )
    c.add(
        "admin/deactivate",
        "Deactivate someone who left the company",
        "Deactivating a member signs them out everywhere and frees their seat, while keeping "
        "everything they wrote. [Their private notebooks can then be reassigned to another "
        "member.|Afterwards you can hand their private notebooks to a colleague.]",
    )
    c.add(
        "admin/reactivate",
        "Reactivate a deactivated member",
        "In Admin console > Members, filter by Deactivated, open the person and click "
        "Reactivate. They regain their previous access [and are billed as a member "
        "again.|and take up a seat again.]",
    )
    c.add(
        "admin/domain-capture",
        "Bring existing company accounts into your workspace",
        "After verifying your domain, turn on Domain capture. Anyone with an email on that "
        "domain who signs up for Lumio joins your workspace automatically, [and existing "
        "personal accounts are invited to move over.|and people who already have accounts are "
        "asked to join.]",
    )
    c.add(
        "admin/analytics",
        "Workspace usage analytics",
        "Admin console > Analytics shows active members, pages created and the most viewed "
        "notebooks over the last 90 days. [The data can be downloaded as CSV.|You can export "
        "the charts as CSV.]",
    )
    c.add(
        "admin/disable-links",
        "Turn off public links for the whole workspace",
        "Under Admin console > Security > Sharing, untick Allow public links. [Existing public "
        "links stop working immediately,|All current public links go dead right away,] and "
        "published sites are taken down.",
    )
    c.add(
        "admin/disable-export",
        "Stop members from exporting content",
        "Business and Enterprise admins can disable PDF, Markdown, Word and HTML exports for "
        "members and guests. Admins keep the ability to export. [Printing is disabled "
        "too.|The print option is also hidden.]",
    )
    c.add(
        "admin/legal-hold",
        "Place content on legal hold",
        "Enterprise admins can put a member or notebook on legal hold. Held content can't be "
        "permanently deleted by anyone, [including retention rules,|and retention rules skip "
        "it] until the hold is released.",
    )


def assist(c: Corpus) -> None:
    c.add(
        "ai/assist",
        "What is Lumio Assist?",
        "Lumio Assist is an AI helper that can summarise pages, draft text, turn notes into "
        "action items and answer questions about your workspace. [It's an add-on for Plus and "
        "Business at $6 per member per month and included in Enterprise.|Plus and Business "
        "workspaces can add it for $6 per member per month; Enterprise includes it.]",
    )
    c.add(
        "ai/summarize",
        "Summarise a long page",
        "Select Assist > Summarise in the page menu to get a short summary at the top of the "
        "page. [You can choose bullet points or a paragraph.|Pick between a paragraph and a "
        "bullet list.]",
    )
    c.add(
        "ai/action-items",
        "Pull action items out of meeting notes",
        "In a meeting notes page, choose Assist > Find action items. Lumio suggests tasks with "
        "assignees based on names in the notes, [and you confirm before they're created.|which "
        "you review before adding them.]",
    )
    c.add(
        "ai/admin",
        "Turn Lumio Assist off for the workspace",
        "Admins can disable Assist entirely, or only for certain notebooks, under Admin console "
        "> Settings > Lumio Assist. [Disabled notebooks are also excluded from Assist's "
        "answers.|Excluded notebooks are never used to answer questions.]",
    )


def account(c: Corpus) -> None:
    c.add(
        "acct/delete",
        "Delete your Lumio account",
        "Go to Settings > Account > Delete account. If you own a workspace, transfer ownership or "
        "delete the workspace first. [Your account is removed after a 14-day grace "
        "period.|Deletion is final after 14 days.]",
    )
    c.add(
        "acct/profile",
        "Change your name and profile photo",
        "Update your display name and photo under Settings > Profile. [Changes show up for "
        "teammates immediately.|Teammates see the new name right away.] If your account is "
        "managed by SCIM, your name comes from the identity provider.",
    )
    c.add(
        "acct/workspace-url",
        "Change your workspace URL",
        "Owners can change the workspace address under Admin console > Settings > General. Old "
        "links redirect for 90 days, [but published sites move to the new address at "
        "once.|while published sites switch to the new address immediately.]",
    )
    c.add(
        "acct/leave",
        "Leave a workspace",
        "Open the workspace menu, choose Settings > Workspaces and click Leave next to the "
        "workspace. [Pages you created stay behind for your teammates.|Your pages remain in the "
        "workspace.] Owners must transfer ownership before leaving.",
    )
    c.add(
        "acct/merge",
        "Merge two Lumio accounts",
        "Accounts can't be merged automatically. [Export notebooks from one account and import "
        "them into the other, or share them and move them over.|Share notebooks from the old "
        "account with the new one, or export and re-import them.]",
    )
    c.add(
        "acct/language",
        "Change the app language",
        "Lumio is available in 14 languages. Choose yours under Settings > Preferences > "
        "Language; [the mobile apps follow your phone's language.|on mobile, the app uses the "
        "device language.]",
    )
    c.add(
        "acct/timezone",
        "Set your time zone",
        "Due dates and reminders use the time zone in Settings > Preferences > Time zone, which "
        "is detected automatically. [Turn off automatic detection if you travel but want to "
        "keep your home zone.|Switch off auto-detect to keep reminders on home time while "
        "travelling.]",
    )
    c.add(
        "acct/switch",
        "Switch between workspaces",
        "Click the workspace name at the top of the sidebar to switch, or press Ctrl+Alt+1 to 9 "
        "(Cmd+Option+1 to 9 on Mac) [to jump to a workspace by its position.|for the first nine "
        "workspaces.]",
    )


def release_notes(c: Corpus) -> None:
    c.add(
        "rel/4.0",
        "Release notes: Lumio 4.0",
        "Lumio 4.0 introduces the new block editor, with drag handles, tables and callouts. "
        "Boards are rebuilt for speed, and [the old v1 API is now deprecated.|we've announced "
        "the retirement of the v1 API.]",
    )
    c.add(
        "rel/4.1",
        "Release notes: Lumio 4.1",
        "4.1 adds recurring tasks, task reminders and Markdown export for whole notebooks. "
        "[Fixed: exporting to PDF no longer drops images in tables.|We also fixed missing "
        "images in PDF exports of tables.]",
    )
    c.add(
        "rel/4.2-desktop",
        "Release notes: Lumio 4.2 for Mac and Windows",
        "The 4.2 desktop apps add the global quick capture shortcut and a menu bar app on Mac. "
        "[Startup is up to 40% faster on Windows.|Windows startup time is reduced by up to 40%.] "
        "Fixed E-1001 after the computer wakes from sleep.",
    )
    c.add(
        "rel/4.3-ios",
        "Release notes: Lumio 4.3 for iOS",
        "Lumio 4.3 for iPhone and iPad brings lock screen widgets, Apple Pencil handwriting "
        "search and document scanning to multi-page PDFs. [Fixed a crash when opening very long "
        "pages offline.|Fixes a crash on long offline pages.]",
    )
    c.add(
        "rel/4.3-android",
        "Release notes: Lumio 4.3 for Android",
        "Lumio 4.3 for Android adds resizable task widgets, fingerprint app lock and Wi-Fi-only "
        "attachment downloads. [Fixed: E-1002 appeared even when storage was available on some "
        "Samsung phones.|Fixes false E-1002 warnings on some Samsung devices.]",
    )
    c.add(
        "rel/4.4-web",
        "Release notes: Lumio 4.4 on the web",
        "The web app can now show recently opened pages offline in Chrome and Edge. Search "
        "results load faster and [support the in: and is: operators.|understand in: and is: "
        "filters.]",
    )
    c.add(
        "rel/4.4.1",
        "Release notes: Lumio 4.4.1 hotfix",
        "4.4.1 fixes a sync bug where edits made offline on two devices could raise E-409 even "
        "when they touched different paragraphs. [It also fixes Safari sign-in loops for some "
        "users.|Safari users stuck in a sign-in loop should update too.]",
    )
    c.add(
        "rel/4.5",
        "Release notes: Lumio 4.5",
        "Lumio 4.5 brings two-way Jira sync for Business and Enterprise, password-protected "
        "share links and task dependencies. [Workspace export now includes a workspace.json "
        "file.|Full workspace backups now include members and permissions.]",
    )
    c.add(
        "rel/4.6",
        "Release notes: Lumio 4.6",
        "4.6 adds Lumio Assist, EU data residency for Enterprise and SCIM group sync with "
        "Microsoft Entra ID. [Webhook signatures now use HMAC-SHA256; SHA-1 signatures are "
        "removed.|The X-Lumio-Signature header switches to HMAC-SHA256.]",
    )
