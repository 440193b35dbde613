"""Plan, billing and limit articles, computed from the shared plan facts."""

from __future__ import annotations

from ..corpus import Corpus
from .facts import PLANS


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
            f"plan/{slug}",
            f"The Lumio {p['name']} plan",
            f"Lumio {p['name']} is {p['price']}. {extras[slug]} It [includes|comes with] "
            f"{p['storage']} of storage, uploads up to {p['upload']} per file and "
            f"{p['history']} of page history.",
        )
    c.add(
        "billing/annual-monthly",
        "Monthly or annual billing",
        "Paid plans can be billed every month or once a year. Annual billing costs about 20% "
        "less: Plus is $8 instead of $10 per member, Business $15 instead of $18. [You can switch "
        "from monthly to annual at any time;|Switching to annual is possible any time, and] the "
        "unused part of your month is credited.",
    )
    c.add(
        "billing/upgrade",
        "Upgrade your workspace",
        "Workspace owners and billing admins can upgrade from Admin console > Billing > Change "
        "plan. New features are available [immediately|straight away] and you pay a prorated "
        "amount for the rest of the current billing period.",
    )
    c.add(
        "billing/downgrade-free",
        "What happens when you downgrade to Free",
        "Your content stays, but anything over Free limits becomes read-only: pages beyond 2 GB "
        "of storage can't get new attachments, history older than 7 days is hidden and guests "
        "beyond five lose access. [Nothing is deleted, and upgrading again restores it.|Upgrade "
        "again later and it all comes back.]",
    )
    c.add(
        "billing/downgrade-plus",
        "Downgrading from Business to Plus",
        "Moving from Business to Plus turns off SAML SSO, so members need to set a password at "
        "their next sign-in. Password-protected links become plain links and [page history "
        "older than 30 days is hidden.|history is limited to 30 days.] The change applies at "
        "the end of the billing period.",
    )
    c.add(
        "billing/cancel",
        "Cancel your subscription",
        "Go to Admin console > Billing and click Cancel subscription. Your workspace stays on "
        "the paid plan until the end of the period you paid for and then moves to Free. "
        "[Cancelling doesn't delete any notes.|No content is deleted when you cancel.]",
    )
    c.add(
        "billing/refunds",
        "Refund policy",
        "Annual plans can be refunded in full within 14 days of purchase or renewal. Monthly "
        "payments aren't refunded, [but you keep access until the end of the month.|though the "
        "plan stays active until the month ends.] Contact billing@lumio.app with your invoice "
        "number.",
    )
    c.add(
        "billing/invoices",
        "Download invoices and receipts",
        "All invoices are listed under Admin console > Billing > Invoices as PDFs. [They're also "
        "emailed to the billing contact each time you're charged.|A copy goes to the billing "
        "email after every charge.] Invoices can't be edited after they're issued.",
    )
    c.add(
        "billing/card",
        "Update your credit card",
        "Billing admins can replace the card under Admin console > Billing > Payment method. "
        "We accept Visa, Mastercard and American Express, and [PayPal on monthly plans|PayPal "
        "for month-to-month subscriptions]. The new card is used from the next charge.",
    )
    c.add(
        "billing/vat",
        "Add a VAT or GST number to invoices",
        "Enter your tax ID under Admin console > Billing > Company details. For EU VAT numbers "
        "we validate the ID and apply the reverse charge, so future invoices [don't include "
        "VAT.|are issued without VAT.] Past invoices aren't reissued.",
    )
    c.add(
        "billing/nonprofit",
        "Discount for nonprofits",
        "Registered nonprofit organisations get 50% off Plus and Business. Apply through the "
        "form at lumio.app/nonprofit with proof of your status; [approval takes about a week|we "
        "reply within five business days].",
    )
    c.add(
        "billing/education",
        "Lumio for students and teachers",
        "Students and teachers with a school email get Lumio Plus for free for individual use. "
        "Verify your address under Settings > Plan > Education. [Shared class workspaces can "
        "request Business at the education price.|Schools can ask us for discounted Business "
        "workspaces.]",
    )
    c.add(
        "billing/seats",
        "How seats are billed",
        "You pay for every member and admin; guests are free up to your plan's guest limit. When "
        "you add someone mid-cycle you're charged a prorated amount, [and removed members are "
        "credited on the next invoice.|and people you remove are credited on your next bill.]",
    )
    c.add(
        "billing/failed-payment",
        "What happens if a payment fails",
        "We retry a failed charge three times over 14 days and email the billing contact each "
        "time. If it still fails, the workspace moves to Free and excess content becomes "
        "read-only. [Updating the card settles the balance immediately.|Add a working card and "
        "the plan is restored right away.]",
    )
    c.add(
        "billing/invoice-payment",
        "Pay by bank transfer instead of card",
        "Enterprise customers, and Business customers on annual plans with 20 or more seats, can "
        "pay by invoice with 30-day terms. [Contact sales to set it up.|Ask our sales team to "
        "switch your billing to invoice.]",
    )
    c.add(
        "billing/currency",
        "Which currencies can I pay in?",
        "Lumio charges in US dollars, euros or British pounds, based on your billing address. "
        "[The currency can't be changed after the first payment|Once you've paid, the currency "
        "is fixed] unless you contact support.",
    )
    c.add(
        "billing/trial",
        "Try Business free for 14 days",
        "Any Free or Plus workspace can start a 14-day Business trial from Admin console > "
        "Billing. No card is needed. [At the end of the trial you go back to your previous plan "
        "unless you add payment details.|When it ends, the workspace returns to its old plan "
        "automatically.]",
    )
    c.add(
        "billing/email",
        "Change who receives billing emails",
        "Invoices and payment alerts go to the billing contact, which can be any email address, "
        "[even one without a Lumio account.|not necessarily a member.] Change it in Admin "
        "console > Billing > Company details.",
    )


def limits(c: Corpus) -> None:
    names = [p["name"] for p in PLANS.values()]

    def table(field: str) -> str:
        return ", ".join(f"{PLANS[s][field]} on {n}" for s, n in zip(PLANS, names, strict=True))

    c.add(
        "limits/upload",
        "Maximum file upload size",
        f"The largest single file you can attach depends on the plan: {table('upload')}. "
        "[Larger files are rejected with error E-413.|Anything bigger fails with E-413.]",
    )
    c.add(
        "limits/storage",
        "Storage limits per plan",
        f"Workspace storage is {table('storage')}. Storage on paid plans is pooled across the "
        "workspace, [so one heavy user can use another member's share.|so members share one "
        "pool.] Page text doesn't count, only attachments.",
    )
    c.add(
        "limits/history",
        "How long page history is kept",
        f"Lumio saves a version of a page every few minutes while it's edited. You can go back "
        f"{table('history')}. [Older versions are removed automatically.|Versions older than "
        "that are cleaned up on their own.]",
    )
    c.add(
        "limits/guests",
        "How many guests can I invite?",
        f"Guests are people outside the workspace who can see specific notebooks. The limit is "
        f"{table('guests')}. Guests aren't billed, [but each one counts toward the limit until "
        "removed.|and removing a guest frees a slot.]",
    )
    c.add(
        "limits/api",
        "API rate limits",
        f"Each token may make {table('api')} requests per minute. Requests over the limit get "
        "HTTP 429 with error E-429 and a Retry-After header. [Limits are per workspace, not per "
        "token.|All tokens in a workspace share one budget.]",
    )
    c.add(
        "limits/page-size",
        "Is there a limit to how long a page can be?",
        "A page can hold up to 20,000 blocks, roughly 400 printed pages of text. [Very long "
        "pages get slow on phones, so we recommend splitting them.|Past a few thousand blocks "
        "the mobile apps slow down, so consider splitting the page.]",
    )
    c.add(
        "limits/members-free",
        "How many people can use a Free workspace?",
        "A Free workspace holds up to 10 members plus 5 guests. To add an eleventh member "
        "[you'll need to upgrade to Plus.|the workspace has to move to a paid plan.]",
    )
    c.add(
        "limits/workspaces",
        "How many workspaces can I join?",
        "One Lumio account can belong to up to 50 workspaces, and you can create as many Free "
        "workspaces as you like. [Switch between them from the workspace menu at the top of the "
        "sidebar.|The workspace menu in the sidebar lets you switch.]",
    )
    c.add(
        "limits/offline-mobile",
        "How much can be stored offline on a phone?",
        "The iOS and Android apps keep up to 5 GB of notebooks and attachments offline. "
        "[Attachments larger than 50 MB are only downloaded when you open them.|Big attachments "
        "over 50 MB stay online until you tap them.]",
    )
