"""Embedded default used by `make run`: SQLite, one process group, DEBUG on."""

from config.env import env
from config.settings.base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=True)
