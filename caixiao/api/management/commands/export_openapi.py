"""``manage.py export_openapi --output docs/openapi.json`` (``make openapi``): write the API schema as
sorted, indented JSON, so the committed copy diffs cleanly and a test can tell when it drifts (B9)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import translation


def render_schema() -> str:
    """The OpenAPI schema as stable text: English labels, sorted keys, a trailing newline."""
    from caixiao.api.v1 import api

    with translation.override("en"):
        schema = api.get_openapi_schema()
        return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the REST API's OpenAPI schema as sorted JSON (default: to stdout)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write, e.g. docs/openapi.json")

    def handle(self, *args, output: str | None = None, **options):
        text = render_schema()
        if not output:
            self.stdout.write(text, ending="")
            return
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}")
