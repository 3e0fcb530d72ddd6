"""The plugins folder on sys.path, as Airflow puts it (settings.prepare_syspath_for_config_and_plugins)."""

from __future__ import annotations

import sys
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.append(str(PLUGINS))
