"""API version and dated changelog: one line per change to the contract."""

API_VERSION = "1.7.0"

CHANGELOG = [
    ("2026-11-24", "1.0.0", "Master data, organisation, tokens; error shape {code, message, fields}."),
    ("2026-11-24", "1.1.0", "Stock: levels (every quantity of the vocabulary) per warehouse and bin, move history, "
                            "adjustments, transfers, stock counts with their transitions, stock check, stock value."),
    ("2026-11-24", "1.2.0", "Notifications, to-dos, webhook subscriptions and deliveries (test, replay), event "
                            "monitor (retry, replay)."),
    ("2026-11-24", "1.3.0", "Sales: sales orders (ATP, confirm/cancel/close actions, availability preview, backorder "
                            "allocation), purchase demand, delivery notices (start-picking/pack/check/ship/cancel), "
                            "scan; Idempotency-Key on POST actions."),
    ("2026-11-24", "1.4.0", "Rules: rules with immutable versions (condition as CEL or form rows), enable/disable, "
                            "dry-runs of saved rules and drafts, subjects and action types, runs, the change log and "
                            "reverts; invalid_expression errors carry details.line/column."),
    ("2026-11-24", "1.5.0", "Approvals: flows as data (a new version per edit, activate/deactivate), approvable "
                            "document types with their condition fields, my approval tasks with approve/reject "
                            "(to the requester or an earlier step)/return actions, approval instances with steps, "
                            "tasks and history, withdraw, delegations."),
    ("2026-11-24", "1.6.0", "Sales orders under approval: status pending_approval (confirm answers 200 with it when "
                            "the approval flow applies; 409 awaiting_approval on confirming again), the order's "
                            "credit exposure and its latest approval on GET /sales-orders/{id}."),
    ("2026-11-24", "1.7.0", "Rules: DELETE /rules/{id} for a rule that never changed anything (409 for built-in rules "
                            "and rules with changes)."),
]
