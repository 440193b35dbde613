"""Integration and API articles."""

from __future__ import annotations

from ..corpus import Corpus


def integrations(c: Corpus) -> None:
    c.add(
        "int/slack",
        "Connect Lumio to Slack",
        "Go to Settings > Integrations > Slack and click Connect. Once connected, Lumio links "
        "unfurl with a preview in Slack, and [the message menu gets a Create Lumio task "
        "action.|you can turn any Slack message into a Lumio task from its ••• menu.]",
    )
    c.add(
        "int/slack-notify",
        "Slack notifications aren't arriving",
        "Check that the Lumio app is still installed in your Slack workspace and that the "
        "channel you picked still exists. [Private channels need the Lumio bot invited with "
        "/invite @Lumio.|For private channels, invite the bot first.]",
    )
    c.add(
        "int/teams",
        "Use Lumio in Microsoft Teams",
        "Add the Lumio app from the Teams app store, then pin a notebook as a tab in any "
        "channel. [Tab contents follow the viewer's Lumio permissions.|People only see the tab "
        "if they can access the notebook in Lumio.]",
    )
    c.add(
        "int/gcal",
        "Meeting notes from Google Calendar",
        "Connect Google Calendar under Settings > Integrations. Upcoming events appear in the "
        "sidebar, and clicking one creates a meeting notes page [with the attendees and agenda "
        "filled in.|pre-filled with title, time and attendees.]",
    )
    c.add(
        "int/outlook",
        "Connect Outlook Calendar",
        "Lumio works with Outlook and Microsoft 365 calendars. Connect from Settings > "
        "Integrations > Outlook Calendar and sign in with your work account. [Your Microsoft "
        "admin may need to approve the app first.|Some organisations require admin consent "
        "before it works.]",
    )
    c.add(
        "int/github",
        "Link GitHub pull requests to tasks",
        "After connecting GitHub, paste a pull request or issue URL into a task to attach it. "
        "The task shows the PR status, and [it can move to Done when the pull request is "
        "merged.|merging the PR can close the task automatically.]",
    )
    c.add(
        "int/jira",
        "Two-way sync with Jira",
        "On Business and Enterprise, a Lumio board can mirror a Jira project. Status, assignee "
        "and due date sync both ways every few minutes; [comments stay in the tool where they "
        "were written.|comments are not synced.]",
    )
    c.add(
        "int/zapier",
        "Automate Lumio with Zapier",
        "The Lumio Zapier app has triggers for new pages, new tasks and completed tasks, and "
        "actions to create pages and tasks. [Connect it with a personal access token.|You "
        "authenticate with a Lumio API token.]",
    )
    c.add(
        "int/gdrive",
        "Embed Google Drive files",
        "Paste a Google Docs, Sheets or Slides link into a page and choose Embed to show a live "
        "preview. [Viewers need access to the file in Google Drive to see it.|Drive permissions "
        "still apply, so viewers need access to the file.]",
    )
    c.add(
        "int/dropbox",
        "Embed Dropbox files and folders",
        "Paste a Dropbox link and pick Embed to show a file preview or a browsable folder. "
        "[The file stays in Dropbox and doesn't count toward Lumio storage.|Embedded files don't "
        "use your Lumio storage.]",
    )
    c.add(
        "int/figma",
        "Embed Figma designs",
        "Paste a Figma frame or file link into a page to embed a live, zoomable view. Embeds "
        "update when the design changes. [Exports to Word or PDF show a static link "
        "instead.|In PDF and Word exports the embed becomes a link.]",
    )
    c.add(
        "int/email",
        "Forward emails into Lumio",
        "Every account has a private forwarding address under Settings > Integrations > Email. "
        "Emails sent there become pages in your Inbox notebook, [with attachments included.|and "
        "attachments are added too.] Put a notebook name after @ in the subject to file it "
        "elsewhere.",
    )
    c.add(
        "int/admin-restrict",
        "Control which integrations members can use",
        "Admins can allow or block each integration under Admin console > Integrations. "
        "[Blocking an integration disconnects it for everyone in the workspace.|When an "
        "integration is blocked, existing connections are removed.]",
    )
    c.add(
        "int/disconnect",
        "Disconnect an integration",
        "Open Settings > Integrations, pick the integration and click Disconnect. Embeds and "
        "links already in pages stay, but [they stop updating.|they no longer refresh.]",
    )


def api(c: Corpus) -> None:
    c.add(
        "api/token",
        "Create a personal access token",
        "Go to Settings > API > Personal access tokens and click New token. Choose scopes such "
        "as pages:read or tasks:write and an expiry date. [The token is shown only once, so copy "
        "it right away.|Copy it immediately; you won't be able to see it again.]",
    )
    c.add(
        "api/oauth",
        "Build a public integration with OAuth",
        "Apps used by other workspaces should use OAuth 2.0 instead of personal tokens. Register "
        "the app under Settings > API > OAuth apps to get a client ID and secret, [then send "
        "users through the authorization code flow.|and use the authorization code flow with "
        "PKCE.]",
    )
    c.add(
        "api/scopes",
        "API token scopes",
        "Scopes limit what a token can do: pages:read, pages:write, tasks:read, tasks:write, "
        "search and admin. [Calling an endpoint without the right scope returns E-403.|Missing "
        "scopes produce an E-403 response.]",
    )
    c.add(
        "api/pagination",
        "Paginating API results",
        "List endpoints return up to 100 items and a next_cursor field. Pass it as the cursor "
        "parameter to get the next batch; [when next_cursor is null you've reached the "
        "end.|a null cursor means there are no more results.]",
    )
    c.add(
        "api/webhooks",
        "Set up webhooks",
        "Register a webhook URL under Settings > API > Webhooks and choose events such as "
        "page.updated or task.completed. Lumio sends a JSON POST [within seconds of the "
        "event.|shortly after each event.]",
    )
    c.add(
        "api/webhook-signature",
        "Verify webhook signatures",
        "Each webhook request carries an X-Lumio-Signature header: an HMAC-SHA256 of the raw "
        "body, keyed with your webhook secret. [Compute it yourself and compare in constant "
        "time before trusting the payload.|Reject requests whose signature doesn't match.]",
    )
    c.add(
        "api/webhook-retries",
        "Webhook delivery retries",
        "If your endpoint doesn't return a 2xx status within 10 seconds, Lumio retries with "
        "backoff for up to 24 hours. [After 50 consecutive failures the webhook is disabled and "
        "the owner is emailed.|Webhooks that keep failing are switched off automatically.]",
    )
    c.add(
        "api/create-task",
        "Create a task with the API",
        "Send POST /v2/tasks with a title and a board_id; assignee_email and due_date are "
        "optional. [The response contains the new task's id and URL.|You get back the task id "
        "and a link to it.] The token needs the tasks:write scope.",
    )
    c.add(
        "api/search",
        "Search through the API",
        "GET /v2/search?q= returns pages and tasks matching the query that the token's owner can "
        "see. [Results use the same ranking as the search bar.|Ranking matches the in-app "
        "search.] The token needs the search scope.",
    )
    c.add(
        "api/versioning",
        "API versions",
        "Send a Lumio-Version header with a date such as 2024-06-01 to pin the API behaviour. "
        "Without it, requests use the version that was current when the token was created. "
        "[Breaking changes only ship in new versions.|We never make breaking changes within a "
        "version.]",
    )
    c.add(
        "api/v1-deprecation",
        "The v1 API is being retired",
        "The /v1 endpoints stop working on 31 March 2025. [Most calls map one to one onto "
        "/v2;|The /v2 equivalents are mostly the same,] but list endpoints now use cursors "
        "instead of page numbers.",
    )
    c.add(
        "api/sdk",
        "Official SDKs",
        "Lumio maintains SDKs for Python (pip install lumio) and JavaScript/TypeScript (npm "
        "install @lumio/sdk). [Both handle pagination and retries on E-429 for you.|They take "
        "care of cursors and rate-limit retries.]",
    )
