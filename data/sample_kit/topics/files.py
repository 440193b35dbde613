"""Export, import, search and template articles."""

from __future__ import annotations

from ..corpus import Corpus


def export_import(c: Corpus) -> None:
    c.add(
        "export/pdf",
        "Export a notebook to PDF",
        "[Open the notebook|Go to the notebook you want], click the ••• menu and choose Export > "
        "PDF. Each page becomes a chapter with its own heading, images are embedded at full "
        "resolution, and task checkboxes are printed as they look on screen. [Large notebooks are "
        "prepared in the background and emailed to you as a download link.|For notebooks over "
        "200 pages you get an email with a download link instead.]",
    )
    c.add(
        "export/markdown",
        "Export a notebook to Markdown",
        "Choose ••• > Export > Markdown to get a .zip with one .md file per page and an "
        "attachments folder. Links between pages are rewritten as relative links, so the files "
        "keep working in [other editors|Obsidian, VS Code or any Markdown editor]. Board views are "
        "flattened into plain lists.",
    )
    c.add(
        "export/docx",
        "Export pages as a Word document",
        "Export > Word (.docx) [turns the notebook into a single document|produces one Word "
        "file for the whole notebook]. Headings map to Word heading styles and tables keep their "
        "columns. Embedded videos and Figma frames can't be converted and are replaced by links.",
    )
    c.add(
        "export/html",
        "Export a notebook as HTML",
        "Export > HTML creates a self-contained folder with an index.html you can open in any "
        "browser or upload to an intranet. Styling matches the Lumio reader view. [Comments are "
        "not included.|Comments and page history are left out.]",
    )
    c.add(
        "export/csv",
        "Export tasks to CSV",
        "Boards and task lists can be exported from the view's ••• menu with Export > CSV. Each "
        "row is one task with columns for title, assignee, status, due date and tags. [Page "
        "content outside tasks is not included.|Only tasks are exported, not the surrounding "
        "notes.]",
    )
    c.add(
        "export/mobile-pdf",
        "Save a page as PDF on iOS or Android",
        "In the mobile apps, open the page, tap Share and then Export as PDF. Phones and tablets "
        "export one page at a time; [to export a whole notebook, use the desktop app or the "
        "web.|whole notebooks can only be exported from desktop or web.]",
    )
    c.add(
        "export/workspace",
        "Back up your entire workspace",
        "Workspace owners on Business and Enterprise can export everything at once from Admin "
        "console > Settings > Export workspace. You get a .zip with Markdown pages, CSV task "
        "lists, attachments and a workspace.json file describing members and permissions. [The "
        "link|The download link] expires after 7 days.",
    )
    c.add(
        "export/print",
        "Print a page",
        "Press Ctrl+P (Cmd+P on Mac) or choose ••• > Print. [Lumio hides the sidebar and comments "
        "and|The print layout drops the sidebar and comments and] uses a paper-friendly font. To "
        "print a full notebook, export it to PDF first and print that file.",
    )
    c.add(
        "import/evernote",
        "Import notes from Evernote",
        "In Evernote, export a notebook as an .enex file. In Lumio go to Settings > Import > "
        "Evernote and upload it; each note becomes a page and Evernote tags become Lumio tags. "
        "Note links between notebooks [are kept when|survive only if] you import all of them "
        "in one go.",
    )
    c.add(
        "import/notion",
        "Import a workspace from Notion",
        "Export your Notion workspace as Markdown & CSV, then upload the .zip under Settings > "
        "Import > Notion. Pages keep their nesting and Notion databases arrive as Lumio boards. "
        "[Synced blocks and formulas are converted to plain text.|Formulas and synced blocks "
        "become static text.]",
    )
    c.add(
        "import/markdown",
        "Import Markdown files",
        "Drag .md files or a folder onto the sidebar, or use Settings > Import > Markdown. Front "
        "matter tags are kept as Lumio tags and relative image paths are uploaded as "
        "attachments. [Up to 1,000 files can be imported at once.|One import can hold up to 1,000 "
        "files.]",
    )
    c.add(
        "import/pdf",
        "Can I import a PDF and edit it?",
        "No. Lumio does not convert PDFs into editable pages. Dropping a PDF onto a page attaches "
        "it with an inline preview, and on Plus and higher plans its text is indexed so it shows "
        "up in search. [To edit the content, convert it to Word first and import the .docx.|If "
        "you need editable text, convert the file to .docx and import that instead.]",
    )
    c.add(
        "import/docx",
        "Import Word documents",
        "Settings > Import > Word accepts .docx files up to your plan's upload limit. Headings, "
        "lists, tables and images come through; tracked changes are accepted automatically and "
        "[Word comments are dropped|comments from Word are not imported].",
    )
    c.add(
        "import/onenote",
        "Import from OneNote",
        "The OneNote importer runs only in the Lumio desktop app for Windows, because it reads "
        "notebooks through your local OneNote installation. Open File > Import > OneNote, sign in "
        "with your Microsoft account and pick the sections to bring over. [Handwriting is imported "
        "as images.|Ink and handwriting arrive as images.]",
    )
    c.add(
        "import/csv-tasks",
        "Create tasks from a CSV file",
        "On any board choose ••• > Import CSV. Lumio maps columns named title, assignee, due and "
        "status automatically and asks you about the rest. Assignees are matched by email address; "
        "[unknown addresses are left unassigned.|rows with unknown emails are imported "
        "without an assignee.]",
    )


def search(c: Corpus) -> None:
    c.add(
        "search/operators",
        "Search operators",
        "Use quotes for exact phrases, tag:design to filter by tag, in:Roadmap to search one "
        "notebook and is:task to show only tasks. [Operators can be combined, for example "
        '"launch plan" in:Marketing.|You can combine them in one query.]',
    )
    c.add(
        "search/attachments",
        "Search inside PDFs and attachments",
        "On Plus and above, Lumio indexes the text inside attached PDFs, Word files and "
        "spreadsheets, so search results include matches within attachments. [Indexing a large "
        "file can take a few minutes after upload.|New attachments become searchable within a "
        "few minutes.]",
    )
    c.add(
        "search/ocr",
        "Find text in images and scans",
        "Business and Enterprise run text recognition on images, scanned documents and "
        "handwriting, so a photo of a whiteboard can be found by the words on it. [Recognition "
        "supports 20 languages.|Text recognition works in 20 languages.]",
    )
    c.add(
        "search/missing",
        "A new page doesn't show up in search",
        "New and edited pages are usually searchable within a minute. If a page is still "
        "missing, check that it isn't a Locked page and that you're not searching inside a "
        "single notebook. [On desktop, Help > Troubleshooting > Reindex search can fix a stale "
        "index.|A stale desktop index can be rebuilt from the Help menu.]",
    )
    c.add(
        "search/saved",
        "Save a search",
        "After running a search, click Save to pin it in the sidebar. Saved searches update as "
        "content changes, [which makes them useful as dynamic lists.|so they work like smart "
        "folders.]",
    )
    c.add(
        "search/mobile-offline",
        "Searching without a connection on mobile",
        "Offline search on iOS and Android covers page titles and text in notebooks that are "
        "downloaded for offline use. [Attachment contents are only searchable online.|Text "
        "inside attachments needs a connection.]",
    )
    c.add(
        "search/cross-workspace",
        "Search across all my workspaces",
        "Search covers the current workspace. [To look everywhere, tick All workspaces in the "
        "search filters.|Turn on the All workspaces filter to include the others you belong "
        "to.] Results show which workspace each page comes from.",
    )


def templates(c: Corpus) -> None:
    c.add(
        "tpl/create",
        "Turn a page into a template",
        "Open the page and choose ••• > Save as template. [It appears in the New page menu for "
        "you.|You'll find it under New page > My templates.] Editing the template later doesn't "
        "change pages already made from it.",
    )
    c.add(
        "tpl/gallery",
        "The template gallery",
        "The gallery has ready-made templates for meeting notes, project briefs, OKRs, bug "
        "triage and onboarding checklists. [Open it from New page > Browse templates.|Browse "
        "it from the New page menu.]",
    )
    c.add(
        "tpl/meeting",
        "Default template for meeting notes",
        "If Google or Outlook Calendar is connected, you can pick which template is used when "
        "you create notes from an event. [Set it in Settings > Integrations > Calendar > "
        "Meeting template.|The setting lives under the calendar integration.]",
    )
    c.add(
        "tpl/share",
        "Share templates with your whole team",
        "Admins and notebook owners can publish a template to the workspace so every member "
        "sees it under Team templates. [Only the template's owner can edit it.|Other people "
        "can use it but not change it.]",
    )
    c.add(
        "tpl/recurring",
        "Create a page automatically every day or week",
        "In a notebook's ••• menu, choose Repeat template to create a new page from a template "
        "on a schedule, such as a daily stand-up page every weekday at 8:00. [Pages are titled "
        "with the date.|Each new page gets the date in its title.]",
    )
    c.add(
        "tpl/variables",
        "Variables in templates",
        "Templates can include {{date}}, {{time}}, {{author}} and {{notebook}}. They're replaced "
        "with real values when a page is created from the template. [Dates use your language "
        "settings.|Date formats follow your language preferences.]",
    )
