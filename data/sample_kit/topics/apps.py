"""Mobile, desktop and notification articles."""

from __future__ import annotations

from ..corpus import Corpus


def mobile(c: Corpus) -> None:
    c.add(
        "mobile/install-ios",
        "Install Lumio on iPhone and iPad",
        "Download Lumio from the App Store. The app needs iOS or iPadOS 16 or later. [On iPad "
        "you can open two pages side by side with Split View.|iPad users can work with two "
        "pages at once in Split View.]",
    )
    c.add(
        "mobile/install-android",
        "Install Lumio on Android",
        "Get Lumio from Google Play; Android 10 or later is required. [The same app runs on "
        "Chromebooks that support Android apps.|Chromebooks with Play Store access can run it "
        "too.]",
    )
    c.add(
        "mobile/widget-ios",
        "Add a Lumio widget to your iPhone home screen",
        "Long-press the home screen, tap +, search for Lumio and pick a widget: Quick note, My "
        "tasks or Pinned page. [Lock screen widgets are available on iOS 16 and "
        "later.|You can also add Quick note to the lock screen.]",
    )
    c.add(
        "mobile/widget-android",
        "Lumio widgets on Android",
        "Touch and hold an empty spot on the home screen, tap Widgets and drag a Lumio widget "
        "into place. The Tasks widget can be resized [to show up to 12 tasks.|and lists as many "
        "as 12 tasks.]",
    )
    c.add(
        "mobile/scan-ios",
        "Scan paper documents on iPhone",
        "In a page, tap + and choose Scan document. The camera detects the page edges and you "
        "can scan several sheets into one PDF. [Text in scans is searchable on Business and "
        "Enterprise.|On Business and Enterprise we run text recognition so scans are "
        "searchable.]",
    )
    c.add(
        "mobile/scan-android",
        "Scan documents with the Android app",
        "Tap + > Scan in any page. Android uses Google's document scanner, so the first scan may "
        "ask to download it from Play services. [Scans are saved as PDF attachments.|Each scan "
        "is attached to the page as a PDF.]",
    )
    c.add(
        "mobile/voice",
        "Record voice notes",
        "Tap the microphone in the mobile toolbar to record audio into a page. Recordings can be "
        "up to 60 minutes long, [and on paid plans they're transcribed automatically.|and paid "
        "plans add an automatic transcript below the audio.]",
    )
    c.add(
        "mobile/share-ios",
        "Save links and files to Lumio from other iOS apps",
        "Tap the Share button in Safari, Photos or Files and choose Lumio. [If it isn't listed, "
        "scroll to More and switch it on.|Can't see Lumio? Tap More and enable it.] You can "
        "pick the notebook and add a note before saving.",
    )
    c.add(
        "mobile/share-android",
        "Send content to Lumio from Android apps",
        "Use Share in any Android app and choose Lumio or Lumio Quick note. Shared web links "
        "are saved with a preview card and images are attached to a new page [in your "
        "Inbox.|in the Inbox notebook.]",
    )
    c.add(
        "mobile/watch",
        "Lumio on Apple Watch",
        "The Apple Watch app lets you dictate a quick note, check off today's tasks and see "
        "reminders. [It syncs through your iPhone.|Everything goes through the iPhone app.] "
        "watchOS 9 or later is required.",
    )
    c.add(
        "mobile/lock-ios",
        "Lock the iOS app with Face ID",
        "Turn on Settings > Security > Require Face ID. Lumio asks for Face ID or Touch ID each "
        "time it opens [after being in the background for more than a minute.|if it has been "
        "closed for over a minute.]",
    )
    c.add(
        "mobile/lock-android",
        "Lock the Android app with your fingerprint",
        "In the Android app go to Settings > Security > App lock and choose fingerprint or PIN. "
        "[Notification previews are hidden while the app is locked.|While locked, "
        "notifications don't show page content.]",
    )
    c.add(
        "mobile/pencil",
        "Handwriting with Apple Pencil",
        "On iPad, insert a drawing block and write or sketch with Apple Pencil. Handwriting is "
        "recognised for search [on Business and Enterprise.|if you're on Business or "
        "Enterprise.] Scribble to convert handwriting to text also works in normal text blocks.",
    )
    c.add(
        "mobile/dark",
        "Dark mode",
        "Lumio follows your system's light or dark setting by default. To override it, choose "
        "Settings > Appearance > Theme [on any device.|on desktop, web or mobile.]",
    )


def desktop(c: Corpus) -> None:
    c.add(
        "desktop/install",
        "Install the desktop app",
        "Download Lumio for macOS 12 or later, or Windows 10 and 11, from lumio.app/download. "
        "[A Linux version is in beta as an AppImage and a .deb package.|Linux users can try the "
        "beta AppImage or .deb.] The desktop app updates itself.",
    )
    c.add(
        "desktop/quick-capture",
        "Global quick capture shortcut",
        "Press Ctrl+Shift+Space on Windows or Option+Space on Mac from any app to open a small "
        "Lumio capture window. [Notes go to your Inbox notebook.|What you type lands in the "
        "Inbox.] Change the shortcut in Settings > Shortcuts.",
    )
    c.add(
        "desktop/windows-wont-open",
        "The Windows app won't open",
        "If nothing happens when you launch Lumio on Windows, check Task Manager for a stuck "
        "Lumio process and end it. [Antivirus tools sometimes quarantine the updater; "
        "reinstalling from lumio.app/download fixes that.|If antivirus blocked the updater, "
        "reinstall from our website.]",
    )
    c.add(
        "desktop/mac-cpu",
        "High CPU usage on Mac",
        "After a big import, the Mac app indexes pages for search and can use a lot of CPU for "
        "a while. If it doesn't settle within an hour, [open Help > Troubleshooting > Reindex "
        "search.|choose Help > Troubleshooting and rebuild the search index.]",
    )
    c.add(
        "desktop/blank-window",
        "Blank white window after an update",
        "A white window usually means the app's graphics cache is out of date. Hold Shift while "
        "opening Lumio to start without hardware acceleration, [then restart normally.|and "
        "restart it normally afterwards.]",
    )
    c.add(
        "desktop/clear-cache",
        "Clear the desktop app's cache",
        "Choose Help > Troubleshooting > Clear cache and restart. This removes downloaded "
        "images and previews but not your notes. [It's different from Rebuild local cache, "
        "which re-downloads all data.|For a full re-download, use Rebuild local cache "
        "instead.]",
    )
    c.add(
        "mobile/clear-cache",
        "Clear the cache on iOS or Android",
        "On Android, go to system Settings > Apps > Lumio > Storage > Clear cache. On iOS there's "
        "no separate cache setting, so [use Settings > Advanced > Clear downloaded files inside "
        "Lumio.|clear files from within Lumio under Settings > Advanced.]",
    )
    c.add(
        "desktop/proxy",
        "Network domains to allow through a firewall",
        "Lumio needs access to lumio.app, api.lumio.app, sync.lumio.app and files.lumio-cdn.com "
        "on port 443. [Sync uses WebSockets, so the proxy must allow connection upgrades.|The "
        "proxy must let WebSocket connections through for sync.]",
    )
    c.add(
        "desktop/upload-proxy",
        "Attachments fail to upload on a corporate network",
        "If text syncs but file uploads hang, your proxy is probably blocking files.lumio-cdn.com "
        "or inspecting large uploads. [Ask IT to allow that domain and skip TLS inspection for "
        "it.|IT should allowlist the domain and exclude it from SSL inspection.]",
    )
    c.add(
        "desktop/images",
        "Images don't load in pages",
        "Broken image icons usually mean files.lumio-cdn.com is blocked by an ad blocker or "
        "network filter. [Allow the domain and reload the page.|Whitelisting it and reloading "
        "fixes the problem.]",
    )
    c.add(
        "desktop/menubar",
        "Lumio in the Mac menu bar",
        "Turn on Settings > General > Show in menu bar to get a menu bar icon with today's tasks "
        "and a quick note field. [It keeps running when the main window is closed.|The menu bar "
        "helper stays active after you close the main window.]",
    )
    c.add(
        "desktop/shortcuts",
        "Keyboard shortcuts",
        "Press Ctrl+/ on Windows or Cmd+/ on Mac to see every shortcut. Common ones: Ctrl+K / "
        "Cmd+K for search, Ctrl+Shift+L / Cmd+Shift+L for a checklist, and Ctrl+Alt+1 / "
        "Cmd+Option+1 for a heading.",
    )


def notifications(c: Corpus) -> None:
    c.add(
        "notif/digest",
        "Email digests",
        "Lumio can email you a daily or weekly summary of comments, mentions and task changes. "
        "[Pick the frequency, or turn digests off,|Choose daily, weekly or never] under "
        "Settings > Notifications > Email.",
    )
    c.add(
        "notif/push-ios",
        "Push notifications on iPhone",
        "If you don't get push notifications on iOS, open the iPhone Settings app > "
        "Notifications > Lumio and allow them. [Focus modes can also hide them; add Lumio to "
        "the allowed apps.|Check that your Focus mode isn't silencing Lumio.]",
    )
    c.add(
        "notif/push-android",
        "Push notifications on Android",
        "On Android, go to system Settings > Apps > Lumio > Notifications and make sure the "
        "channels you want are on. [Battery optimisation can delay notifications, so set Lumio "
        "to Unrestricted.|Some phones delay notifications to save battery; exclude Lumio from "
        "battery optimisation.]",
    )
    c.add(
        "notif/mac",
        "Desktop notifications on macOS",
        "Open System Settings > Notifications > Lumio and choose Banners or Alerts. [Lumio only "
        "sends desktop notifications while the app is running.|Notifications only arrive while "
        "the app is open or in the menu bar.]",
    )
    c.add(
        "notif/windows",
        "Desktop notifications on Windows",
        "In Windows Settings > System > Notifications, make sure Lumio is switched on and not "
        "hidden by Do not disturb. [Windows may group them in the notification centre without "
        "showing a banner.|Sometimes they only show up in the notification centre.]",
    )
    c.add(
        "notif/mute",
        "Mute a page or notebook",
        "Click the bell at the top of a page or notebook and choose Mute. You won't get "
        "notifications about edits or comments there, [except when someone mentions you "
        "directly.|though direct @mentions still come through.]",
    )
    c.add(
        "notif/reminders",
        "Task reminders",
        "When a task has a due date, Lumio reminds the assignee at 9:00 on the due date by "
        "default. [Add a custom reminder time from the task's clock icon.|Click the clock icon "
        "on a task to set another reminder.]",
    )
    c.add(
        "notif/quiet",
        "Quiet hours",
        "Settings > Notifications > Quiet hours pauses push and desktop notifications during "
        "the hours you choose, [for example outside your working day.|such as evenings and "
        "weekends.] Everything missed shows up in the inbox afterwards.",
    )
    c.add(
        "notif/email-missing",
        "Not getting emails from Lumio",
        "Check spam and promotions folders and add notifications@lumio.app to your contacts. "
        "[Company mail filters sometimes hold our emails; ask IT to allow the sender.|If your "
        "company filters email, IT may need to allow that address.]",
    )
    c.add(
        "notif/slack",
        "Get Lumio notifications in Slack",
        "After connecting Slack, go to Settings > Notifications > Slack to receive mentions and "
        "task assignments as Slack direct messages [instead of email.|rather than by email.]",
    )
