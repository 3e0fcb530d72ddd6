"""Stateless deterministic randomness: every value is a hash of (seed, purpose, number).

Records are regenerated on demand from these hashes instead of being stored, which is what keeps
millions of simulated records in a few hundred megabytes.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_TWO_64 = float(1 << 64)


def mix(value: int) -> int:
    """splitmix64 finaliser: a fast, well-distributed 64-bit hash of one integer."""
    x = (value + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def h(seed: int, salt: int, number: int) -> int:
    """A 64-bit hash of (seed, salt, number); one mixing round keeps bulk generation fast."""
    x = ((seed * 0x100000001B3 + salt) * 0xD6E8FEB86659FD93 + number * 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def unit(seed: int, salt: int, number: int) -> float:
    """A float in [0, 1) derived from (seed, salt, number)."""
    return h(seed, salt, number) / _TWO_64


def pick(seed: int, salt: int, number: int, size: int) -> int:
    """An integer in [0, size) derived from (seed, salt, number)."""
    return h(seed, salt, number) % size
