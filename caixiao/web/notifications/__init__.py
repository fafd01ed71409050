"""Pages of notifications (X3) and webhooks (X9): the bell, notifications, to-dos, preferences,
webhook subscriptions with their delivery log, and the event/job monitor for administrators."""
