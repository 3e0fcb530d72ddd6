"""``python -m wms_simulator serve ...``."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
