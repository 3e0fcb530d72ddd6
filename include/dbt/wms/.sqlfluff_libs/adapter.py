"""Lint-time stand-in for dbt's `adapter` in SQLFluff's jinja templater (no database, no dbt).

`adapter.dispatch('wms_x', 'wms')(args)` renders as the plain call `wms_x(args)`, which is valid
SQL for the linter; the real per-adapter SQL is checked by the dbt tests in include/dbt/tests.
"""

from __future__ import annotations

from collections.abc import Callable


def dispatch(macro_name: str, macro_namespace: str | None = None) -> Callable[..., str]:
    def render(*args: object) -> str:
        return f"{macro_name}({', '.join(str(arg) for arg in args)})"

    return render
