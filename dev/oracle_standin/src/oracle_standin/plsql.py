"""The anonymous PL/SQL blocks our stack sends, understood enough to run their SQL.

dbt-oracle wraps DDL and merges in blocks (relations/drop.sql: ``EXECUTE IMMEDIATE 'DROP ...'``
with ``PRAGMA EXCEPTION_INIT`` handlers for ORA-00942; incremental/strategies.sql: the MERGE, then
on any error TRUNCATE and DROP of the temporary table and ``RAISE``). A block is split into its
declared exception codes, the statements of its body (EXECUTE IMMEDIATE literals unwrapped) and its
handler; loops, variables and dynamic text built by concatenation are not modelled.
"""

from __future__ import annotations

import dataclasses
import re

from oracle_standin.sqltext import _code_spans

_WORD = re.compile(r"[A-Za-z_][\w$#]*")
_NOT_BLOCK_ENDS = ("IF", "LOOP", "CASE")


@dataclasses.dataclass
class Block:
    handled_codes: set[int]  # ORA codes named by PRAGMA EXCEPTION_INIT in the declarations
    body: list[str]  # the body's statements, EXECUTE IMMEDIATE literals unwrapped
    handler: str  # the text after the body's EXCEPTION keyword ('' without one)

    @property
    def handles_any(self) -> bool:
        return bool(re.search(r"WHEN\s+OTHERS\s+THEN", self.handler, re.IGNORECASE))

    @property
    def reraises(self) -> bool:
        return bool(re.search(r"\bRAISE\s*;", self.handler, re.IGNORECASE))

    def handler_statements(self) -> list[str]:
        return _executed_literals(self.handler)


def _words(text: str) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for start, end in _code_spans(text):
        found += [(m.group(0).upper(), m.start()) for m in _WORD.finditer(text, start, end)]
    return found


def _executed_literals(text: str) -> list[str]:
    return [
        m.replace("''", "'")
        for m in re.findall(r"EXECUTE\s+IMMEDIATE\s+'((?:[^']|'')*)'", text, re.IGNORECASE)
    ]


def _split_statements(text: str) -> list[str]:
    """Statements separated by ';' outside string literals and comments."""
    cuts = [0]
    for start, end in _code_spans(text):
        cuts += [start + i + 1 for i, char in enumerate(text[start:end]) if char == ";"]
    pieces = [
        text[a:b].strip().rstrip(";").strip() for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)
    ]
    return [piece for piece in pieces if piece]


def parse_block(text: str) -> Block | None:
    """The block's parts, or None when it is not ``[DECLARE ...] BEGIN ... [EXCEPTION ...] END;``."""
    words = _words(text)
    begin = next((i for i, (word, _) in enumerate(words) if word == "BEGIN"), None)
    if begin is None:
        return None
    declarations = text[: words[begin][1]]
    codes = {
        int(code)
        for code in re.findall(r"EXCEPTION_INIT\s*\(\s*\w+\s*,\s*-(\d+)\s*\)", declarations, re.IGNORECASE)
    }
    depth, exception_at, end_at = 0, None, None
    for index in range(begin, len(words)):
        word, position = words[index]
        following = words[index + 1][0] if index + 1 < len(words) else ""
        if word == "BEGIN":
            depth += 1
        elif word == "END" and following not in _NOT_BLOCK_ENDS:
            depth -= 1
            if depth == 0:
                end_at = position
                break
        elif word == "EXCEPTION" and depth == 1 and exception_at is None:
            exception_at = position
    if end_at is None:
        return None
    body_start = words[begin][1] + len("BEGIN")
    body_text = text[body_start : exception_at if exception_at is not None else end_at]
    handler = text[exception_at + len("EXCEPTION") : end_at] if exception_at is not None else ""
    body: list[str] = []
    for statement in _split_statements(body_text):
        literal = _executed_literals(statement)
        body.append(literal[0] if literal and statement.upper().startswith("EXECUTE") else statement)
    return Block(codes, body, handler)
