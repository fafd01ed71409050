"""Events of the notifications app."""

from caixiao.core.events import define

WEBHOOK_TEST_REQUESTED = define(
    "notifications.webhook.test_requested",
    description="An administrator asked to send a test event to one webhook subscription.",
    payload={"version": "payload version", "subscription_id": "webhook subscription id", "name": "its name",
             "message": "a short text"})
