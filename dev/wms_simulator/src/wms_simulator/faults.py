"""Opt-in fault injection by request pattern (the real service documents no 429; it exists only here)."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = frozenset(
    {
        "401",
        "429",
        "500",
        "502",
        "503",
        "504",
        "409",
        "reset",
        "slow",
        "truncated",
        "malformed",
        "expired_token",
    }
)
# Not a failure: "advance" moves the simulated clock before answering (records change mid-sync).
KINDS = FAULT_KINDS | {"advance"}


@dataclass
class FaultRule:
    """One fault: which requests it hits and what happens.

    ``kind``: an HTTP status ("401", "429", "500", "502", "503", "504", "409"), "reset" (connection dropped
    without a response), "slow" (normal answer after ``delay_seconds``), "truncated" (body shorter than
    its Content-Length), "malformed" (200 with an unparsable JSON body) or "expired_token" (every bearer
    token issued so far expires now, then the request is answered normally: a bearer request gets the
    401 an expired token gets, a Basic request is unaffected) or "advance" (the simulated clock moves on by
    ``advance_minutes`` first, then the request is answered normally: records change between two requests
    of one client, e.g. between a key scan and the fetch of the versions it found missing).
    A request matches when ``path_regex`` (searched in the path), ``query_regex`` (searched in the query
    string, e.g. ``page_size=\\d{4}`` for large pages) and ``entity`` all match (unset = any).
    ``first_n`` limits the rule to the first N matching requests, ``max_count`` to N injected faults;
    ``probability`` draws from a generator seeded by the simulator seed.
    """

    kind: str
    path_regex: str | None = None
    query_regex: str | None = None
    entity: str | None = None
    probability: float = 1.0
    max_count: int | None = None
    first_n: int | None = None
    retry_after: int = 1
    delay_seconds: float = 1.0
    advance_minutes: float = 0.0
    matched: int = field(default=0, compare=False)
    injected: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        self.kind = str(self.kind)
        if self.kind not in KINDS:
            raise ValueError(f"FaultRule.kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("FaultRule.probability must be between 0 and 1")
        for pattern in (self.path_regex, self.query_regex):
            if pattern is not None:
                re.compile(pattern)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        allowed = {
            "kind",
            "path_regex",
            "query_regex",
            "entity",
            "probability",
            "max_count",
            "first_n",
            "retry_after",
            "delay_seconds",
            "advance_minutes",
        }
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown FaultRule fields: {sorted(unknown)}")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultRegistry:
    """The active rules; ``pick`` returns the rule to apply to a request, if any."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)  # noqa: S311 - reproducible test faults, not security
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._random.seed(self._seed)

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def pick(self, path: str, entity: str | None, query: str = "") -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.path_regex is not None and not re.search(rule.path_regex, path):
                    continue
                if rule.query_regex is not None and not re.search(rule.query_regex, query):
                    continue
                if rule.entity is not None and rule.entity != entity:
                    continue
                rule.matched += 1
                if rule.first_n is not None and rule.matched > rule.first_n:
                    continue
                if rule.max_count is not None and rule.injected >= rule.max_count:
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                rule.injected += 1
                return rule
        return None
