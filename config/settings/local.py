"""Embedded default used by `make run`: SQLite, one process group, DEBUG on."""

from config.env import env
from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

DEBUG = env.bool("DEBUG", default=True)

# The SQLite file (and collected static files) live under var/, which a fresh clone does not have.
VAR_DIR.mkdir(parents=True, exist_ok=True)
