"""Entity metadata loaded from ``entities/*.json``: the describe/ payload and the field types filters use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ENTITY_DIR = Path(__file__).parent / "entities"
DESCRIBE_KEYS = ("type", "required", "max_length", "allow_blank", "default", "min_value", "max_value")


@dataclass(frozen=True)
class FieldMeta:
    """One field of an entity."""

    name: str
    type: str
    related_entity: str | None
    shape: str | None
    parent_field: str | None
    describe: dict[str, Any]

    @property
    def is_fk(self) -> bool:
        return self.type == "foreign_key"

    @property
    def is_set(self) -> bool:
        return self.type == "reverse_set"


@dataclass(frozen=True)
class EntityMeta:
    """An entity's field list in API order."""

    name: str
    fields: dict[str, FieldMeta]
    assumed_fields: tuple[str, ...]

    @property
    def filterable(self) -> list[str]:
        return [name for name, meta in self.fields.items() if not meta.is_set]

    def describe(self) -> dict[str, Any]:
        return {
            "parameters": self.filterable,
            "fields": {name: dict(meta.describe) for name, meta in self.fields.items()},
        }


def _load(path: Path) -> EntityMeta:
    raw = json.loads(path.read_text(encoding="utf-8"))
    fields = {}
    for name, spec in raw["fields"].items():
        fields[name] = FieldMeta(
            name=name,
            type=spec["type"],
            related_entity=spec.get("related_entity"),
            shape=spec.get("shape"),
            parent_field=spec.get("parent_field"),
            describe={key: spec[key] for key in DESCRIBE_KEYS if key in spec},
        )
    return EntityMeta(name=raw["entity"], fields=fields, assumed_fields=tuple(raw["assumed_fields"]))


@cache
def catalog() -> dict[str, EntityMeta]:
    """Every simulated entity, by name, sorted."""
    metas = (_load(path) for path in sorted(ENTITY_DIR.glob("*.json")))
    return {meta.name: meta for meta in metas}
