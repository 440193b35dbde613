"""Second-pass articles on apps, sharing and the workspace."""

from __future__ import annotations

from ..corpus import Corpus


def more_apps_and_workspace(c: Corpus) -> None:
    """Second-pass articles on apps, sharing and the workspace: near neighbours for the queries."""
    c.add(
        "sync/ios-background",
        "Notes aren't up to date when I open the iPhone app",
        "iOS only lets apps sync in the background occasionally. Turn on Background App Refresh "
        "for Lumio in the iPhone Settings app, [and avoid force-quitting the app.|and don't "
        "swipe the app away,] so it can fetch changes before you open it.",
    )
    c.add(
        "sync/android-battery",
        "Android app stops syncing in the background",
        "Battery savers on many Android phones stop Lumio from syncing when it's not on screen. "
        "[Set Lumio's battery usage to Unrestricted in system settings.|Exclude Lumio from "
        "battery optimisation in Android settings.]",
    )
    c.add(
        "offline/linux",
        "Offline use on Linux",
        "The Linux beta works offline like the Mac and Windows apps, [but the offline "
        "database is stored in ~/.config/Lumio, so keep enough free space there.|storing its "
        "local copy under ~/.config/Lumio.] Edits made without a connection upload the next "
        "time the app is online.",
    )
    c.add(
        "share/team",
        "Share a notebook with a whole team",
        "Type a team's name in the notebook's Share menu instead of individual emails. [Anyone "
        "added to the team later gets access automatically.|New team members are included "
        "automatically.] Teams are created by admins or synced from SCIM groups.",
    )
    c.add(
        "share/guest-cant-see",
        "A guest can't see the page I shared",
        "Guests must sign in with the exact email address you invited. [If they use a different "
        "address, invite that one too.|Ask them which address they signed in with.] Also check "
        "that admins haven't restricted sharing to company domains.",
    )
    c.add(
        "share/duplicate",
        "Duplicate a page or notebook",
        "Choose ••• > Duplicate to copy a page with its sub-pages and attachments. The copy is "
        "private to you until you share it; [comments and page history are not "
        "copied.|history and comments stay with the original.]",
    )
    c.add(
        "mobile/ipad-keyboard",
        "Keyboard shortcuts on iPad",
        "With a hardware keyboard, Lumio on iPad supports the same Cmd shortcuts as the Mac app. "
        "[Hold Cmd to see the list.|Press and hold the Cmd key to show them.]",
    )
    c.add(
        "mobile/siri",
        "Add tasks with Siri",
        "After you open Lumio once, Shortcuts offers actions such as Add task and Create quick "
        'note. [Say "Hey Siri, add a Lumio task" to dictate one.|You can trigger them by voice '
        "with Siri.]",
    )
    c.add(
        "desktop/linux",
        "Install Lumio on Linux",
        "Download the AppImage or .deb package from lumio.app/download. The Linux app is a beta "
        "and [doesn't update itself yet, so check for new versions monthly.|has no auto-update, "
        "so reinstall to upgrade.]",
    )
    c.add(
        "desktop/mac-damaged",
        "Mac says Lumio is damaged and can't be opened",
        "This message appears when macOS blocks a download that was modified or incompletely "
        "copied. Delete the app, download it again from lumio.app/download and [drag it to "
        "Applications before opening.|move it into Applications first.]",
    )
    c.add(
        "desktop/msi",
        "Deploy the Windows app across your company",
        "IT teams can install Lumio silently with the MSI package from lumio.app/download/"
        "enterprise. [It supports per-machine installs and disabling auto-update through "
        "group policy.|Group policy can control updates and the default workspace URL.]",
    )
    c.add(
        "desktop/spellcheck",
        "Spell check language",
        "The desktop apps use your operating system's spell checker. [Right-click a word to "
        "choose another language.|Right-click in a page and pick Spelling language to switch.] "
        "Spell checking can be turned off in Settings > Editor.",
    )
    c.add(
        "int/teams-notify",
        "Lumio notifications in Microsoft Teams",
        "With the Teams app installed, mentions and task assignments can arrive in your Teams "
        "activity feed. [Turn it on under Settings > Notifications > Microsoft Teams.|Enable it "
        "from the Notifications settings in Lumio.]",
    )
    c.add(
        "int/gcal-missing",
        "Calendar events don't appear in Lumio",
        "Only calendars you tick under Settings > Integrations > Google Calendar are shown. "
        "[Events appear up to 15 minutes after they're created.|New events can take a quarter "
        "of an hour to show up.] Reconnecting refreshes the permission if it expired.",
    )
    c.add(
        "int/gitlab",
        "Link GitLab merge requests",
        "Connect GitLab.com or a self-managed GitLab under Settings > Integrations. Paste a "
        "merge request URL into a task to track its status; [self-managed servers must be "
        "reachable from the internet.|self-hosted GitLab has to be reachable by Lumio.]",
    )
    c.add(
        "int/loom",
        "Embed Loom and YouTube videos",
        "Paste a Loom, YouTube or Vimeo link and choose Embed to play the video inside the page. "
        "[Videos aren't stored in Lumio and don't use storage.|Embedded videos don't count "
        "toward your storage.]",
    )
    c.add(
        "api/update-page",
        "Update a page with the API",
        "Send PATCH /v2/pages/{id} with the blocks to change and the page's current version in "
        "If-Match. [The token needs pages:write.|This requires the pages:write scope.] Blocks "
        "you don't mention are left untouched.",
    )
    c.add(
        "api/delete",
        "Delete pages through the API",
        "DELETE /v2/pages/{id} moves a page to the trash, exactly like deleting it in the app. "
        "[It can be restored for 30 days.|Restore is possible for 30 days.] Permanent deletion "
        "isn't available through the API.",
    )
    c.add(
        "api/admin-members",
        "List and manage members with the admin API",
        "Tokens with the admin scope can list members, change roles and deactivate accounts "
        "through /v2/admin/members. [Only workspace admins can create admin-scoped "
        "tokens.|Admin-scoped tokens can only be made by admins.]",
    )
    c.add(
        "admin/bulk-invite",
        "Invite many people at once",
        "In Admin console > Members, click Invite and upload a CSV with one email per line, "
        "optionally with a role column. [Up to 500 people can be invited per file.|Each upload "
        "can hold 500 addresses.]",
    )
    c.add(
        "admin/default-notebooks",
        "Notebooks every new member joins",
        "Admins can mark notebooks as default under Admin console > Settings > Onboarding, so "
        "new members have them in the sidebar from day one. [It's a good place for handbooks "
        "and team wikis.|Use it for handbooks and wikis.]",
    )
    c.add(
        "admin/disable-guests",
        "Turn off guest access",
        "Under Admin console > Security > Sharing, untick Allow guests. Existing guests lose "
        "access immediately, [and members can no longer invite people from outside.|and the "
        "Share menu stops accepting outside addresses.]",
    )
    c.add(
        "notif/comments-only",
        "Only get notified about comments and mentions",
        "In Settings > Notifications, set Page edits to Off and keep Comments and Mentions on. "
        "[You can choose separately for push, email and desktop.|Each channel, push, email and "
        "desktop, has its own switches.]",
    )
    c.add(
        "notif/agenda",
        "Daily agenda email",
        "Turn on Daily agenda to get an email at 7:00 local time with today's tasks, overdue "
        "tasks and calendar events. [It's sent only on days with something due.|No email is "
        "sent on empty days.]",
    )
    c.add(
        "search/date",
        "Search by date",
        "Use created:2024-05 or edited:last-week in the search bar, or open Filters and pick a "
        "date range. [Dates follow your time zone setting.|Date filters use your own time "
        "zone.]",
    )
    c.add(
        "search/author",
        "Find pages written by a specific person",
        "Type by:@name in search, or use the Author filter, to show pages created by one "
        "person. [Pages they only edited are found with edited-by:@name.|edited-by:@name "
        "finds pages they changed.]",
    )
    c.add(
        "rel/4.6.1-android",
        "Release notes: Lumio 4.6.1 for Android",
        "This update fixes notifications arriving late on phones with aggressive battery "
        "savers and a bug where the Tasks widget showed completed tasks. [Android 9 is no "
        "longer supported.|Support for Android 9 ends with this release.]",
    )
    c.add(
        "rel/4.7",
        "Release notes: Lumio 4.7",
        "Lumio 4.7 adds Apple Notes and Trello importers, search by date and author, and "
        "E-2013 messages that point people to SSO sign-in. [The Linux app leaves alpha and "
        "becomes a public beta.|Linux builds are now a public beta.]",
    )
