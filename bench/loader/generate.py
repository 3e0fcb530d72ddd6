"""Write a Singer file of allocation-shaped records (reference §14, flattened per docs/architecture.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path

_FK = (
    "order_dtl",
    "from_inventory",
    "to_inventory",
    "alloc_uom",
    "cartonize_uom",
    "type",
    "wave",
    "mhe_system",
    "task",
    "ob_lpn_type",
)
_TS = {"type": ["string", "null"], "format": "date-time"}


def schema() -> dict[str, object]:
    properties: dict[str, object] = {
        "id": {"type": "integer"},
        "create_ts": _TS,
        "mod_ts": {"type": "string", "format": "date-time"},
        "create_user": {"type": ["string", "null"], "maxLength": 30},
        "mod_user": {"type": ["string", "null"], "maxLength": 30},
        "status_id": {"type": ["integer", "null"]},
        "alloc_qty": {"type": ["number", "null"]},
        "packed_qty": {"type": ["number", "null"]},
        "task_seq_nbr": {"type": ["integer", "null"]},
        "pick_user": {"type": ["string", "null"], "maxLength": 30},
        "final_oblpn_nbr": {"type": ["string", "null"], "maxLength": 30},
        "pick_locn_str": {"type": ["string", "null"], "maxLength": 100},
        "picked_ts": _TS,
        "is_picking_flg": {"type": ["boolean", "null"]},
    }
    for fk in _FK:
        properties[f"{fk}_id"] = {"type": ["integer", "null"]}
        properties[f"{fk}_key"] = {"type": ["string", "null"]}
    return {"type": "object", "properties": properties}


def record(n: int, rng: random.Random, base: dt.datetime) -> dict[str, object]:
    stamp = base + dt.timedelta(seconds=n * 7, microseconds=rng.randrange(1_000_000))
    offset = dt.timezone(dt.timedelta(hours=-3))
    rec: dict[str, object] = {
        "id": n,
        "create_ts": (stamp - dt.timedelta(hours=1)).astimezone(offset).isoformat(),
        "mod_ts": stamp.astimezone(offset).isoformat(),
        "create_user": "integration_user",
        "mod_user": f"user{n % 50:02d}",
        "status_id": rng.choice((10, 90, 99)),
        "alloc_qty": float(rng.randrange(1, 2000)),
        "packed_qty": 0.0,
        "task_seq_nbr": rng.randrange(0, 100),
        "pick_user": "",
        "final_oblpn_nbr": f"OB{n:010d}",
        "pick_locn_str": f"{n % 9}-{n % 40:02d}-{n % 60:02d}-01",
        "picked_ts": None,
        "is_picking_flg": bool(n % 2),
    }
    keys = {
        "order_dtl": f"REABCDC{n:09d},{n % 7 + 1}",
        "alloc_uom": "Units",
        "cartonize_uom": "Cases",
        "type": "Separacao Ativa",
        "from_inventory": "",
        "to_inventory": "",
    }
    for fk in _FK:
        null = fk in ("wave", "mhe_system") and n % 3 == 0
        rec[f"{fk}_id"] = None if null else rng.randrange(1, 10_000_000)
        rec[f"{fk}_key"] = None if null else keys.get(fk, f"{fk.upper()}{n % 1000}")
    return rec


def write(path: Path, count: int, seed: int = 14) -> None:
    rng = random.Random(seed)  # noqa: S311 - deterministic test data, not security
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    extracted = "2025-06-01T00:00:00+00:00"
    with path.open("w", encoding="utf-8") as out:
        out.write(
            json.dumps(
                {
                    "type": "SCHEMA",
                    "stream": "allocation",
                    "schema": schema(),
                    "key_properties": ["id"],
                    "bookmark_properties": ["mod_ts"],
                }
            )
            + "\n"
        )
        for n in range(1, count + 1):
            out.write(
                json.dumps(
                    {
                        "type": "RECORD",
                        "stream": "allocation",
                        "record": record(n, rng, base),
                        "time_extracted": extracted,
                    }
                )
                + "\n"
            )
            if n % 10_000 == 0 or n == count:
                state = {
                    "bookmarks": {"allocation": {"replication_key": "mod_ts", "replication_key_value": n}}
                }
                out.write(json.dumps({"type": "STATE", "value": state}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    write(args.path, args.records)


if __name__ == "__main__":
    main()
