"""Protocol-faithful simulator of the Oracle WMS Cloud REST API (lgfapi v10), for development and tests only.

Layers: ``store`` (state, simulated clock, deterministic lifecycle) -> ``engine``/``query``/``paging``/
``representation``/``auth``/``faults`` (protocol) -> ``server`` (HTTP transport).

Assumed where the reference is silent or marks an inference (details in README.md, "Assumptions"):

- ``GET /entity/`` answers ``{entity: list url}``; describe types are ``primary_key``, ``foreign_key``,
  ``status``, ``integer``, ``decimal``, ``string``, ``boolean``, ``datetime``, ``date``, ``reverse_set``.
- Field lists of ``item``, the extra ``company`` fields and the status lookups are assumed (each
  ``entities/*.json`` names its assumed fields); every ``*_id`` field is an FK object.
- ``allocation_status`` 0 Created, 10 Released, 30 Picked (assumed), 90 Completed, 99 Cancelled (real codes,
  assumed labels); order_dtl uses the order status codes.
- Timestamps print in the record's facility zone; company/item/lookups and naive filter input use the
  default facility SAO01 (America/Sao_Paulo).
- Error envelope codes (``VALIDATION_ERROR``, ``NOT_FOUND``, ...); 404 for a page past the end or a bad
  cursor; 400 for unknown filter/ordering fields and for ``values_list``/``distinct``/``limit``/``format=xml``.
- Default page size 100; the 1250 cap applies to both modes; cursors are DRF cursors on the first
  ordering field (id by default); links reuse the request path and the server's own host:port.
- Bearer tokens expire on wall-clock time; injected 502/503/504 answer an HTML gateway page; 429 exists
  only as an injected fault.
- Opt-in late commits (``SimulatorConfig.commit_delays``, ``Simulator.advance(..., commit_delay)``): a
  version is visible from ``mod_ts`` + delay on, readers see the previous one until then; opt-in clock skew
  (``clock_skew_seconds``): ``mod_ts`` is stamped by a WMS clock ahead of/behind the caller's.
"""

from __future__ import annotations

from .config import SimulatorConfig
from .faults import FaultRule
from .server import SimulatorServer
from .simulator import ServedRequest, Simulator
from .store import AdvanceSummary, EntityChanges

__all__ = [
    "AdvanceSummary",
    "EntityChanges",
    "FaultRule",
    "ServedRequest",
    "Simulator",
    "SimulatorConfig",
    "SimulatorServer",
]
