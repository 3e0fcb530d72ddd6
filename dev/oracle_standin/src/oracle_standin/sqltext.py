"""Statement text helpers that need no parser: heads, bind names, string literals and comments."""

from __future__ import annotations

import re

_BIND = re.compile(r"(?<![:\w]):(\w+)")


def _code_spans(sql: str) -> list[tuple[int, int]]:
    """Spans of ``sql`` outside string literals, quoted identifiers and comments."""
    spans: list[tuple[int, int]] = []
    start = index = 0
    length = len(sql)
    while index < length:
        char = sql[index]
        pair = sql[index : index + 2]
        if char in "'\"":
            spans.append((start, index))
            end = index + 1
            while end < length:
                if sql[end] == char:
                    if end + 1 < length and sql[end + 1] == char:
                        end += 2
                        continue
                    break
                end += 1
            index = start = end + 1
        elif pair == "--":
            spans.append((start, index))
            end = sql.find("\n", index)
            index = start = length if end < 0 else end
        elif pair == "/*":
            spans.append((start, index))
            end = sql.find("*/", index + 2)
            index = start = length if end < 0 else end + 2
        else:
            index += 1
    spans.append((start, length))
    return [(a, b) for a, b in spans if b > a]


def bind_names(sql: str) -> list[str]:
    """Bind variable names in order of appearance (``:name`` or ``:1``), outside literals and comments."""
    names: list[str] = []
    for start, end in _code_spans(sql):
        names += _BIND.findall(sql[start:end])
    return names


def rename_binds(sql: str, rename: dict[str, str]) -> str:
    """``sql`` with bind names replaced (e.g. ``:1`` -> ``:b_1``, which sqlglot's Oracle parser reads)."""
    pieces: list[str] = []
    last = 0
    for start, end in _code_spans(sql):
        pieces.append(sql[last:start])
        pieces.append(_BIND.sub(lambda m: ":" + rename.get(m.group(1), m.group(1)), sql[start:end]))
        last = end
    pieces.append(sql[last:])
    return "".join(pieces)


def strip_comments(sql: str) -> str:
    """``sql`` without comments (python-oracledb's statement parser skips leading comments too)."""
    out: list[str] = []
    last = 0
    for start, end in _code_spans(sql):
        gap = sql[last:start]
        out.append(gap if gap[:1] in "'\"" else " ")
        out.append(sql[start:end])
        last = end
    tail = sql[last:]
    out.append(tail if tail[:1] in "'\"" else "")
    return "".join(out).strip()


def head(sql: str, words: int = 4) -> str:
    """The first words of a statement, upper case, comments skipped: ``CREATE GLOBAL TEMPORARY TABLE``."""
    return " ".join(strip_comments(sql).upper().replace("(", " ( ").split()[:words])
