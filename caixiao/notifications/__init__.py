"""Notifications (X3) and webhooks (X9): consumers of the outbox on top of the domain apps.

Handlers in ``handlers.py`` turn committed events into in-app notifications, to-dos, e-mails and
webhook deliveries; network calls (mail, HTTP) are made later by tasks, outside any transaction,
from the delivery rows the handlers wrote. Domain apps never import this package."""
