"""Product facts shared by several topics, so the documents agree with each other."""

from __future__ import annotations

PLANS: dict[str, dict[str, str]] = {
    "free": {
        "name": "Free",
        "price": "free forever",
        "upload": "10 MB",
        "storage": "2 GB per workspace",
        "history": "7 days",
        "guests": "5",
        "api": "60",
    },
    "plus": {
        "name": "Plus",
        "price": "$8 per member per month billed annually, or $10 month to month",
        "upload": "100 MB",
        "storage": "20 GB per member",
        "history": "30 days",
        "guests": "20",
        "api": "120",
    },
    "business": {
        "name": "Business",
        "price": "$15 per member per month billed annually, or $18 month to month",
        "upload": "250 MB",
        "storage": "100 GB per member",
        "history": "1 year",
        "guests": "100",
        "api": "300",
    },
    "enterprise": {
        "name": "Enterprise",
        "price": "custom, on an annual contract",
        "upload": "1 GB",
        "storage": "unlimited",
        "history": "unlimited",
        "guests": "unlimited",
        "api": "600",
    },
}
