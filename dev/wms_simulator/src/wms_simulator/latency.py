"""Latency model calibrated on the real service (reference §12), opt-in.

cost = base + rows x per-row cost; ordering by anything but id is ~5x slower per row and, without a
mod_ts window, adds a sort cost that grows with the number of matching rows. Calibration (unscaled):
1000 rows by id ~18-20 s, 500 ~9.5 s, 1250 ~23 s; 1000 by mod_ts ~100 s with a mod_ts window and
~183 s over 2.8 M unfiltered rows. A page whose unscaled cost exceeds the 300 s gateway limit answers 504.
The real sleep is cost x ``latency_scale``.

A projected page (``fields=``) costs ``row_fraction`` of a whole record's per-row cost
(``SimulatorConfig.projection_cost``). Nobody has measured it on a real tenant: it is a parameter,
0.25 by default (an assumption; see the README), and the base cost per request is unchanged.
"""

from __future__ import annotations

BASE_SECONDS = 0.4
PER_ROW_BY_ID = {"allocation": 0.0182, "order_dtl": 0.0171, "order_hdr": 0.0198}
DEFAULT_PER_ROW_BY_ID = 0.018
PER_ROW_OTHER_ORDER = 0.1
SORT_SECONDS_PER_MATCH = 3.0e-5  # 2.77 M unfiltered allocation rows -> ~83 s
GATEWAY_LIMIT_SECONDS = 300.0


def page_cost(
    entity: str,
    rows: int,
    matches: int,
    ordering: tuple[tuple[str, bool], ...],
    windowed: bool,
    row_fraction: float = 1.0,
) -> float:
    """Unscaled seconds the real service would take to answer this page.

    ``row_fraction``: the per-row cost of this page relative to whole records (1.0; less for ``fields=``).
    """
    by_id = all(name == "id" for name, _ in ordering)
    if by_id:
        return BASE_SECONDS + rows * PER_ROW_BY_ID.get(entity, DEFAULT_PER_ROW_BY_ID) * row_fraction
    sort = 0.0 if windowed else matches * SORT_SECONDS_PER_MATCH
    return BASE_SECONDS + rows * PER_ROW_OTHER_ORDER * row_fraction + sort
