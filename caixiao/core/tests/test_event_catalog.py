"""docs/events.md lists every event type the code defines (issue 4 item 1)."""

from pathlib import Path

from django.conf import settings

from caixiao.core.management.commands.export_events import render_catalog


def test_event_catalog_is_current():
    committed = Path(settings.BASE_DIR) / "docs" / "events.md"
    assert committed.exists(), "run `make events` and commit docs/events.md"
    assert committed.read_text(encoding="utf-8") == render_catalog(), "docs/events.md is stale: run `make events`"
