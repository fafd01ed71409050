"""API version and dated changelog: one line per change to the contract."""

API_VERSION = "1.2.0"

CHANGELOG = [
    ("2026-11-24", "1.0.0", "Master data, organisation, tokens; error shape {code, message, fields}."),
    ("2026-11-24", "1.1.0", "Stock: levels (every quantity of the vocabulary) per warehouse and bin, move history, "
                            "adjustments, transfers, stock counts with their transitions, stock check, stock value."),
    ("2026-11-24", "1.2.0", "Notifications, to-dos, webhook subscriptions and deliveries (test, replay), event "
                            "monitor (retry, replay)."),
]
