"""Entry file Airflow's plugin manager imports: the WMS sync health page (see wms_sync_health/)."""

from __future__ import annotations

from wms_sync_health.plugin import WmsSyncHealthPlugin

__all__ = ["WmsSyncHealthPlugin"]
