"""The zh-Hans catalog is complete: regenerating it from the source finds no untranslated or fuzzy
entry, and the compiled catalog matches the .po file (run `make messages` and translate otherwise)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "caixiao" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

pytestmark = pytest.mark.skipif(shutil.which("msgattrib") is None,
                                reason="gettext is not installed (scripts/system-deps.sh installs it)")


def _regenerate(tmp_path: Path) -> Path:
    src = tmp_path / "caixiao"
    shutil.copytree(ROOT / "caixiao", src, ignore=shutil.ignore_patterns("__pycache__", "tests", "migrations"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location",
                    "--no-obsolete", "--ignore=static/*"], cwd=src, env=env, check=True, capture_output=True)
    return src / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(args: list[str], po: Path) -> str:
    out = subprocess.run(["msgattrib", *args, "--no-wrap", str(po)], capture_output=True, text=True, check=True)
    return "\n".join(line for line in out.stdout.splitlines() if line.startswith("msgid ") and line != 'msgid ""')


def test_catalog_has_no_untranslated_or_fuzzy_entries(tmp_path):
    fresh = _regenerate(tmp_path)
    untranslated = _entries(["--untranslated"], fresh)
    fuzzy = _entries(["--only-fuzzy"], fresh)
    assert not untranslated, f"untranslated zh-Hans strings (run `make messages`, then translate):\n{untranslated}"
    assert not fuzzy, f"fuzzy zh-Hans strings (review them and remove the fuzzy flag):\n{fuzzy}"


def test_compiled_catalog_matches_po(tmp_path):
    mo = PO.with_suffix(".mo")
    assert mo.exists(), "compile the catalog with `make messages`"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(PO)], check=True)
    import gettext

    with mo.open("rb") as a, fresh.open("rb") as b:
        committed, expected = gettext.GNUTranslations(a), gettext.GNUTranslations(b)
    assert committed._catalog == expected._catalog, "django.mo is stale: run `make messages`"  # type: ignore[attr-defined]
