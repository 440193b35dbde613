"""Error-code and sync/offline articles."""

from __future__ import annotations

from ..corpus import Corpus


def errors(c: Corpus) -> None:
    c.add(
        "error/overview",
        "How Lumio error codes are numbered",
        "Codes from E-400 to E-599 follow HTTP status codes and come from our servers. Codes in "
        "the E-1000 range are problems on your device, and E-2000 codes relate to single sign-on "
        "and provisioning. [Include the code when you contact support.|Always quote the full code "
        "when you write to support.]",
    )
    c.add(
        "error/E-401-sync",
        "Error E-401: your session has expired",
        "E-401 means the app's sign-in token is no longer valid, [usually|most often] after a "
        "password change or when an admin signs everyone out. Sign out and back in. Changes you "
        "made in the meantime stay on the device and upload once you're signed in again.",
    )
    c.add(
        "error/E-401-api",
        "API responses with code E-401",
        "The API answers HTTP 401 with code E-401 when the personal access token is missing, "
        "revoked or malformed. Check that the header reads Authorization: Bearer followed by the "
        "token, [with no quotes|without quotes or extra spaces], and that the token hasn't been "
        "deleted under Settings > API.",
    )
    c.add(
        "error/E-403-sync",
        "Error E-403 while syncing a shared notebook",
        "You see E-403 when the app tries to sync edits to a notebook where your access was "
        "lowered to view-only or removed. Your local changes are saved to a page called Unsynced "
        "changes so nothing is lost. [Ask the notebook owner for edit access and sync again.|Once "
        "the owner gives you edit access again, sync resumes.]",
    )
    c.add(
        "error/E-403-api",
        "API error E-403: missing scope",
        "An E-403 from the API means the token is valid but lacks the scope the endpoint needs, "
        "for example tasks:write for creating tasks. Scopes are fixed when a token is created, "
        "[so create a new token with the right scopes.|so you have to generate a new token that "
        "includes them.]",
    )
    c.add(
        "error/E-404",
        "Error E-404: page not found",
        "E-404 appears when you open a link to a page that was deleted or moved to a notebook you "
        "can't access. [Check the trash first;|Look in the trash first:] deleted pages stay there "
        "for 30 days. If the page was moved, ask its owner to share the new location.",
    )
    c.add(
        "error/E-409-sync",
        "Error E-409: sync conflict",
        "E-409 means two devices changed the same paragraph while one of them was offline. Lumio "
        "keeps both versions: yours stays in place and the other appears in a conflict banner at "
        "the top of the page, [where you can pick one or merge them.|so you can choose which to "
        "keep.]",
    )
    c.add(
        "error/E-409-api",
        "API error E-409: version mismatch",
        "Updates through the API send the page's version in the If-Match header. If someone edited "
        "the page after you read it, the API rejects the write with E-409. [Fetch the page again, "
        "reapply your change and retry.|Re-read the page, apply your change to the new version "
        "and send it again.]",
    )
    c.add(
        "error/E-413",
        "Error E-413: attachment too large",
        "E-413 means the file is bigger than your plan's upload limit: 10 MB on Free, 100 MB on "
        "Plus, 250 MB on Business and 1 GB on Enterprise. [Compress the file or link to it from "
        "cloud storage instead.|Try compressing it, or embed it from Google Drive or Dropbox.]",
    )
    c.add(
        "error/E-429-api",
        "API error E-429: rate limit exceeded",
        "The API returns HTTP 429 with code E-429 when you send more requests per minute than your "
        "plan allows. The Retry-After header says how many seconds to wait. [Batch endpoints and "
        "webhooks|Using batch endpoints, or webhooks instead of polling,] help you stay under the "
        "limit.",
    )
    c.add(
        "error/E-429-sync",
        "Sync paused with E-429 after a big import",
        "If you import or paste thousands of pages at once, the app may show E-429 and pause sync "
        "for a few minutes. [This is expected.|Nothing is wrong with your account.] The app backs "
        "off on its own and resumes uploading; keep it open until the sync icon turns green.",
    )
    c.add(
        "error/E-500",
        "Error E-500: something went wrong on our side",
        "E-500 is an unexpected server error. Retry after a minute and check status.lumio.app for "
        "ongoing incidents. [If it keeps happening on one page, send us the page link.|When a "
        "single page always fails, contact support with its link.]",
    )
    c.add(
        "error/E-503",
        "Error E-503: Lumio is under maintenance",
        "During scheduled maintenance the service returns E-503 and apps switch to read-only "
        "mode. You can keep reading, and edits made offline are queued. Maintenance windows are "
        "announced [a week ahead|at least seven days in advance] on status.lumio.app.",
    )
    c.add(
        "error/E-1001",
        "Error E-1001: local cache is damaged",
        "E-1001 means the desktop app's offline database could not be read, often after a crash "
        "or a full disk. Go to Settings > Advanced > Rebuild local cache. [The app downloads your "
        "notes again; anything not yet synced is exported to a recovery folder first.|Unsynced "
        "edits are copied to a recovery folder before the cache is rebuilt.]",
    )
    c.add(
        "error/E-1002",
        "Error E-1002: not enough storage on this device",
        "The mobile app shows E-1002 when your phone or tablet is almost out of space and offline "
        "notes can't be saved. Free up space, or [turn off offline access for large notebooks|make "
        "fewer notebooks available offline] under Settings > Offline.",
    )
    c.add(
        "error/E-1003",
        "Error E-1003: device clock is wrong",
        "Secure connections fail with E-1003 when your computer's or phone's date and time are "
        "more than five minutes off. [Turn on automatic date and time in your system settings|Set "
        "the clock to update automatically] and restart Lumio.",
    )
    c.add(
        "error/E-2010",
        "Error E-2010: SAML response rejected",
        "E-2010 is shown on sign-in when Lumio can't validate the SAML assertion from your "
        "identity provider, most often because the signing certificate was rotated. An admin "
        "needs to upload the new certificate under Admin console > Security > SSO.",
    )
    c.add(
        "error/E-2011",
        "Error E-2011: SCIM token expired",
        "Provisioning stops with E-2011 when the SCIM bearer token has expired; tokens last one "
        "year. [Generate a new token|Create a fresh token] in Admin console > Security > SCIM and "
        "paste it into your identity provider's Lumio app.",
    )
    c.add(
        "error/E-2012",
        "Error E-2012: you're not assigned to Lumio",
        "E-2012 means your identity provider authenticated you but you aren't assigned to the "
        "Lumio application there. [Ask your IT team to add you to the Lumio app in Okta, Entra ID "
        "or Google Workspace.|Your IT admin has to assign the Lumio app to your account.]",
    )


def sync_offline(c: Corpus) -> None:
    c.add(
        "sync/how",
        "How syncing works",
        "Every edit is saved on your device first and sent to Lumio's servers within a few "
        "seconds. Other devices receive it [almost immediately|in real time] while they're "
        "online, or the next time they connect.",
    )
    c.add(
        "offline/ios",
        "Use Lumio offline on iPhone and iPad",
        "On iOS, notebooks you've opened in the last 30 days are available offline by default. "
        "[To keep a specific notebook offline, swipe left on it and tap Make available "
        "offline.|Long-press a notebook and choose Keep offline to pin it.] Edits sync when "
        "you're back online.",
    )
    c.add(
        "offline/android",
        "Use Lumio offline on Android",
        "The Android app downloads notebooks you mark as offline from the notebook's ••• menu. "
        "You can read, edit and create pages without a connection, [but search only covers "
        "offline notebooks.|though search is limited to what's downloaded.] Changes upload when "
        "you reconnect.",
    )
    c.add(
        "offline/desktop",
        "Offline mode in the desktop app",
        "The Mac and Windows apps keep a full copy of every notebook you can access, so "
        "everything works without internet. [Attachments are downloaded the first time you "
        "open them.|Files attached to pages download when first opened.]",
    )
    c.add(
        "offline/web",
        "Does the web app work offline?",
        "Only partly. In Chrome and Edge, pages you opened recently can be read offline, but "
        "you can't edit them until the connection returns. [Safari and Firefox don't support "
        "offline mode.|There's no offline support in Safari or Firefox.] For full offline work, "
        "use the desktop app.",
    )
    c.add(
        "sync/stuck",
        "Sync is stuck on Syncing…",
        "If the sync indicator spins for more than a few minutes, check status.lumio.app, then "
        "quit and reopen the app. [A single huge attachment can hold the queue; the sync panel "
        "shows what is uploading.|Open the sync panel to see whether one large file is "
        "blocking the queue.]",
    )
    c.add(
        "sync/resync",
        "Force a full resync",
        "Settings > Advanced > Resync all data compares every page on the device with the "
        "server and downloads anything missing. [It can take a while on big "
        "workspaces.|Expect it to take several minutes for large workspaces.] Unsynced local "
        "edits are uploaded first.",
    )
    c.add(
        "sync/conflicts",
        "Resolving conflicting edits",
        "When the same block was changed on two devices, Lumio shows a yellow conflict banner on "
        "the page. Click Compare to see both versions side by side and [keep one or combine "
        "them.|choose which to keep, or merge them by hand.]",
    )
    c.add(
        "sync/cellular",
        "Stop syncing attachments over mobile data",
        "On Android and iOS, Settings > Sync > Download attachments has an option for Wi-Fi only. "
        "Text still syncs on mobile data, [so your notes stay current without large "
        "downloads.|only big files wait for Wi-Fi.]",
    )
    c.add(
        "sync/indicator",
        "What the sync icon colours mean",
        "Green means everything is saved to the cloud, blue means changes are uploading and grey "
        "means you're offline with edits waiting. [Red means a sync error; click it to see the "
        "code.|A red icon means an error; click it for the error code.]",
    )
