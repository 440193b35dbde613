"""Sharing, task and editor articles."""

from __future__ import annotations

from ..corpus import Corpus


def sharing(c: Corpus) -> None:
    c.add(
        "share/link",
        "Share a page with a link",
        "Click Share in the top-right corner and turn on Share with link. Choose whether people "
        "with the link can view, comment or edit. [Anyone with the link can open it, even "
        "without a Lumio account, if you allow viewing.|View-only links work for people "
        "without an account.]",
    )
    c.add(
        "share/guest",
        "Invite a guest to a notebook",
        "Open the notebook's Share menu, type the person's email and pick their access level. "
        "Guests only see the notebooks you share with them and [don't take up a paid seat.|aren't "
        "billed as members.]",
    )
    c.add(
        "share/permissions",
        "Permission levels explained",
        "Can view lets people read and export. Can comment adds comments and reactions. Can edit "
        "lets them change content and tasks. Full access also lets them share the page and "
        "change other people's access. [Permissions set on a notebook apply to all its pages "
        "unless a page overrides them.|Pages inherit the notebook's permissions unless "
        "changed.]",
    )
    c.add(
        "share/revoke",
        "Stop sharing a link",
        "Open Share and switch off Share with link. The old URL stops working immediately. "
        "[If you turn sharing back on later, a new link is created.|Re-enabling sharing "
        "generates a different URL.]",
    )
    c.add(
        "share/password",
        "Protect a shared link with a password",
        "On Business and Enterprise, the Share menu has a Require password option for link "
        "sharing. [Visitors must enter the password before the page loads.|People opening the "
        "link are asked for the password first.] Changing the password signs out everyone who "
        "used the old one.",
    )
    c.add(
        "share/expiry",
        "Make a shared link expire",
        "In Share > Link settings, set an expiry date and the link stops working at midnight UTC "
        "on that day. [Available on Plus and above.|This option is on all paid plans.]",
    )
    c.add(
        "share/publish",
        "Publish a page to the web",
        "Share > Publish creates a public, read-only website at yourworkspace.lumio.site. "
        "Published pages can be found by search engines unless you [untick Allow search "
        "engines to index.|switch off search indexing in the publish settings.]",
    )
    c.add(
        "share/unpublish",
        "Unpublish a page",
        "Open Share > Publish and click Unpublish. The public page disappears right away, but "
        "search engines may show a cached copy for a few days. [You can request removal through "
        "Google Search Console.|Google Search Console can speed up removal.]",
    )
    c.add(
        "share/transfer-notebook",
        "Transfer ownership of a notebook",
        "The owner can hand over a notebook from Share > Full access > Make owner. [Admins can "
        "also reassign notebooks owned by deactivated members from the admin console.|If the "
        "owner has left, an admin can reassign it in the admin console.]",
    )
    c.add(
        "share/transfer-workspace",
        "Transfer workspace ownership",
        "Only the current owner can do this: Admin console > Members, open the new owner's "
        "profile and choose Make workspace owner. The previous owner becomes an admin. [The new "
        "owner must already be an admin.|You can only pick someone who is already an admin.]",
    )
    c.add(
        "share/remove-member",
        "Remove a member from the workspace",
        "Admins remove members from Admin console > Members. The person loses access at once, "
        "but their pages stay in the workspace. [Private notebooks they owned are moved to the "
        "admin who removed them.|Their private notebooks are handed to the removing admin.]",
    )
    c.add(
        "share/request-access",
        "Request access to a page",
        "If you open a link you don't have access to, click Request access. The page owner gets "
        "an email and a notification [and can approve with one click.|with a button to approve "
        "or decline.]",
    )
    c.add(
        "share/external-blocked",
        "Why can't I share with people outside my company?",
        "Admins can restrict sharing to verified company domains. When that setting is on, the "
        "Share menu won't accept outside email addresses and [public links are disabled.|link "
        "sharing to the public is switched off.] Ask a workspace admin if you need an "
        "exception.",
    )
    c.add(
        "share/mentions",
        "Mention someone on a page",
        "Type @ followed by a name to mention a teammate. They get a notification with a link "
        "to that spot on the page. [Mentioning someone who can't access the page offers to "
        "share it with them.|If they don't have access yet, Lumio asks whether to share it.]",
    )


def tasks(c: Corpus) -> None:
    c.add(
        "task/create",
        "Create a task",
        "Type /task in any page or press Ctrl+Shift+T (Cmd+Shift+T on Mac). Tasks written in "
        "pages also show up in My tasks and [on any board they're added to.|on the board you "
        "pick.]",
    )
    c.add(
        "task/assign",
        "Assign a task and set a due date",
        "Click the task's avatar slot to assign someone, and the calendar icon to add a due date. "
        "[Only one person can be assigned; use subtasks to split the work.|A task has a single "
        "assignee, so split shared work into subtasks.]",
    )
    c.add(
        "task/recurring",
        "Repeating tasks",
        "Set a task to repeat daily, weekly, monthly or on specific weekdays from the due date "
        "picker. [When you complete it, the next one is created automatically.|Completing it "
        "creates the next occurrence.]",
    )
    c.add(
        "task/subtasks",
        "Subtasks",
        "Press Tab on a new line inside a task to add a subtask. Subtasks can have their own "
        "assignees and due dates, [up to three levels deep.|and can be nested three levels.]",
    )
    c.add(
        "task/boards",
        "Kanban boards",
        "A board shows tasks as cards in columns, one column per status. Drag cards to change "
        "status, [or group the board by assignee or due date instead.|or switch grouping to "
        "assignee or priority.]",
    )
    c.add(
        "task/dependencies",
        "Task dependencies",
        "On Business and Enterprise, mark a task as blocked by another. Blocked tasks show a "
        "red marker, and [their due dates can shift automatically when the blocker slips.|if "
        "the blocking task moves, dependent due dates can move with it.]",
    )
    c.add(
        "task/checklist",
        "Turn checklist items into tasks",
        "Select checklist lines and choose Convert to tasks from the toolbar. [Each line becomes "
        "a task you can assign and date.|They become real tasks with assignees and due "
        "dates.]",
    )
    c.add(
        "task/move",
        "Move tasks between boards",
        "Open a task and use Move to pick another board, or drag it onto a board's name in the "
        "sidebar. [Custom fields that don't exist on the target board are kept but hidden.|Fields "
        "missing from the new board are hidden, not deleted.]",
    )
    c.add(
        "task/my-tasks",
        "The My tasks view",
        "My tasks gathers everything assigned to you across all notebooks and boards, sorted by "
        "due date. [Overdue tasks are pinned to the top.|Late tasks appear first.]",
    )
    c.add(
        "task/statuses",
        "Customise task statuses",
        "Each board has its own statuses. Open board settings > Statuses to rename them, change "
        "their colour or add new ones such as In review. [Every board needs at least one done "
        "status.|One status must be marked as done.]",
    )


def editor(c: Corpus) -> None:
    c.add(
        "edit/markdown-shortcuts",
        "Markdown shortcuts in the editor",
        "Type # for a heading, - for a bullet, [] for a checkbox and ``` for a code block; the "
        "formatting is applied as you type. [Paste Markdown and Lumio converts it too.|Pasted "
        "Markdown is converted automatically.]",
    )
    c.add(
        "edit/tables",
        "Add a table",
        "Type /table to insert a table. Drag column borders to resize, and use the column menu "
        "to sort or change the type to number, date or checkbox. [Tables can have up to 50 "
        "columns.|A table holds at most 50 columns.]",
    )
    c.add(
        "edit/code",
        "Code blocks and syntax highlighting",
        "Insert a code block with /code or three backticks and pick a language from the corner "
        "menu. [Over 60 languages are highlighted.|Syntax highlighting covers more than 60 "
        "languages.] Code blocks keep tabs when you export to Markdown.",
    )
    c.add(
        "edit/callouts",
        "Callout blocks",
        "Use /callout to add a coloured box with an icon for warnings, tips or notes. [Change "
        "the icon and colour from the block menu.|Click the icon to choose another one.]",
    )
    c.add(
        "edit/backlinks",
        "Link between pages and see backlinks",
        "Type [[ and start typing a page name to link it. The linked page lists every page that "
        "points to it in the Backlinks section at the bottom. [Links update when pages are "
        "renamed.|Renaming a page doesn't break links.]",
    )
    c.add(
        "edit/tags",
        "Organise pages with tags",
        "Add tags from the page header or by typing #tag in the title area. Click a tag to see "
        "every page that has it, [or filter search with tag:.|or use tag: in search.]",
    )
    c.add(
        "edit/favorites",
        "Favourite pages",
        "Click the star on any page to add it to Favourites at the top of the sidebar. "
        "[Favourites are personal and sync across your devices.|Only you see your favourites, "
        "on every device.]",
    )
    c.add(
        "edit/math",
        "Write equations",
        "Type /math for a block equation or wrap inline formulas in $ signs. Lumio renders "
        "LaTeX syntax with KaTeX, [and equations export to PDF as vector graphics.|and PDF "
        "exports keep equations sharp.]",
    )
    c.add(
        "edit/comments",
        "Comment on text",
        "Select text and click the speech bubble, or press Ctrl+Alt+M (Cmd+Option+M on Mac). "
        "Comment threads can be resolved; [resolved threads are hidden but stay in the "
        "comments panel.|resolving hides a thread without deleting it.]",
    )
    c.add(
        "edit/trash",
        "Restore a deleted page",
        "Deleted pages go to Trash in the sidebar, where you can restore them for 30 days. "
        "[After that they're deleted permanently.|After 30 days they are removed for good.] "
        "Restored pages return to their original notebook.",
    )
    c.add(
        "edit/delete-forever",
        "Permanently delete a page",
        "In Trash, open the page's menu and choose Delete permanently. [This can't be "
        "undone,|There's no way back,] and the page also disappears from page history.",
    )
    c.add(
        "edit/history",
        "Restore an earlier version of a page",
        "Open ••• > Page history to see saved versions, with changes highlighted. Select a "
        "version and click Restore; [the current text is saved as a version first, so nothing "
        "is lost.|your current version is kept in history too.]",
    )
    c.add(
        "edit/restore-notebook",
        "Recover a deleted notebook",
        "Deleted notebooks stay in the trash for 30 days. Members can restore notebooks they "
        "owned; [admins can restore any notebook from Admin console > Settings > Deleted "
        "notebooks.|admins can restore anyone's from the admin console.]",
    )
