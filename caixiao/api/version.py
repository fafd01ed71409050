"""API version and dated changelog: one line per change to the contract."""

API_VERSION = "1.0.0"

CHANGELOG = [
    ("2026-11-24", "1.0.0", "Master data, organisation, tokens; error shape {code, message, fields}."),
]
