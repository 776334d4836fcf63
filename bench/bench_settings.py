"""The project's settings, with static files collected into a throw-away folder for the page benchmark."""
import os
from pathlib import Path

from config.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
