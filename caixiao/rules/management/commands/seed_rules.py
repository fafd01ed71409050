"""``manage.py seed_rules``: create the built-in rules that do not exist yet (idempotent)."""

from django.core.management.base import BaseCommand

from caixiao.rules.services import ensure_builtin_rules


class Command(BaseCommand):
    help = "Create the built-in rules that are missing (never changes existing ones)."

    def handle(self, *args, **options):
        created = ensure_builtin_rules()
        self.stdout.write(f"Built-in rules created: {len(created)}")
