"""Static checks that compiled SQL is valid for Oracle (19c and later), without an Oracle server.

They cover the mistakes portable SQL most often makes on Oracle: LIMIT, boolean literals and types,
`AS` before a table alias, reserved words as CTE names or aliases, Postgres `::` casts,
identifiers over 30 characters (relation names may use Oracle 12.2+'s 128), nonquoted identifiers
that do not begin with a letter, SELECT without FROM, and string literals cast to a date, timestamp
or number (which read the session's NLS formats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Oracle SQL reserved words (SQL Language Reference, "Oracle SQL Reserved Words"; V$RESERVED_WORDS.RESERVED='Y').
_RESERVED_WORDS_TEXT = """
access add all alter and any as asc audit between by char check cluster column comment compress
connect create current date decimal default delete desc distinct drop else exclusive exists file
float for from grant group having identified immediate in increment index initial insert integer
intersect into is level like lock long maxextents minus mlslabel mode modify noaudit nocompress not
nowait null number of offline on online option or order pctfree prior public raw rename resource
revoke row rowid rownum rows select session set share size smallint start successful synonym
sysdate table then to trigger uid union unique update user validate values varchar varchar2 view
whenever where with
"""
RESERVED_WORDS = frozenset(_RESERVED_WORDS_TEXT.split())

# Casting a string literal to these reads NLS_DATE_FORMAT / NLS_TIMESTAMP_FORMAT /
# NLS_NUMERIC_CHARACTERS of the session (SQL Language Reference, CAST and "Datetime Format Models").
_NLS_DEPENDENT_TYPES = frozenset({"date", "timestamp", "number", "integer", "float", "decimal", "numeric"})
# Where a SELECT's clause list ends when no FROM came first.
_SELECT_ENDS = frozenset({"union", "intersect", "minus", "except"})

MAX_IDENTIFIER = 30
MAX_RELATION_NAME = 128
_TOKEN = re.compile(
    r"""
    (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"[^"]*")
  | (?P<word>[A-Za-z_][A-Za-z0-9_$#]*)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<cast>::)
  | (?P<punct>[(),.;])
  | (?P<other>\S)
""",
    re.VERBOSE,
)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
# Words that may follow a table reference without being its alias.
_NOT_ALIAS = frozenset(
    {
        "where",
        "on",
        "inner",
        "left",
        "right",
        "full",
        "cross",
        "join",
        "group",
        "order",
        "union",
        "having",
        "using",
        "natural",
        "outer",
        "minus",
        "intersect",
        "fetch",
    }
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower()


def tokenize(sql: str) -> list[Token]:
    """Tokens of `sql` with comments removed; string literals stay single tokens."""
    tokens = []
    for match in _TOKEN.finditer(_COMMENTS.sub(" ", sql)):
        kind = match.lastgroup or "other"
        tokens.append(Token(kind, match.group(kind)))
    return tokens


def _closing_paren(tokens: list[Token], start: int) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index].text == "(":
            depth += 1
        elif tokens[index].text == ")":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unbalanced parentheses in compiled SQL")


def _dotted_name_end(tokens: list[Token], start: int) -> int:
    """Index just past `name(.name)*` starting at `start`."""
    index = start + 1
    while (
        index + 1 < len(tokens) and tokens[index].text == "." and tokens[index + 1].kind in ("word", "quoted")
    ):
        index += 2
    return index


def oracle_violations(sql: str) -> list[str]:
    """Every Oracle rule `sql` breaks, as readable messages (empty when it is fine)."""
    tokens = tokenize(sql)
    problems: list[str] = []
    relation_parts: set[int] = set()
    for index, token in enumerate(tokens):
        if token.kind == "cast":
            problems.append("Postgres-style '::' cast")
        if token.kind != "word":
            continue
        word = token.lower
        if not word[0].isalpha():
            # SQL Language Reference, "Database Object Naming Rules": a nonquoted identifier must
            # begin with an alphabetic character (ORA-00911).
            problems.append(f"identifier '{token.text}' does not begin with a letter (quote it or rename it)")
        if word == "select" and not _select_has_from(tokens, index):
            problems.append("SELECT without FROM (use FROM DUAL; Oracle before 23ai: ORA-00923)")
        if word == "cast" and _casts_string_to_nls_type(tokens, index):
            problems.append(
                "string literal cast to a date, timestamp or number depends on the session's NLS settings "
                "(use TO_DATE/TO_TIMESTAMP with a format, or a numeric literal)"
            )
        if word == "limit":
            problems.append("LIMIT is not Oracle SQL (use FETCH FIRST or a window function)")
        if word in ("true", "false", "boolean"):
            problems.append(f"boolean literal or type '{token.text}' (use 1/0 NUMBER flags)")
        if word in ("from", "join") and index + 1 < len(tokens):
            _check_table_reference(tokens, index + 1, problems, relation_parts)
        is_cte_name = (
            index > 0
            and tokens[index - 1].lower in ("with", ",")
            and index + 2 < len(tokens)
            and tokens[index + 1].lower == "as"
            and tokens[index + 2].text == "("
        )
        if is_cte_name and word in RESERVED_WORDS:
            problems.append(f"CTE named with the reserved word '{token.text}'")
    for index, token in enumerate(tokens):
        if token.kind == "word" and index not in relation_parts and len(token.text) > MAX_IDENTIFIER:
            problems.append(f"identifier '{token.text}' is longer than {MAX_IDENTIFIER} characters")
        if index in relation_parts and len(token.text) > MAX_RELATION_NAME:
            problems.append(f"relation name '{token.text}' is longer than {MAX_RELATION_NAME} characters")
    return problems


def _select_has_from(tokens: list[Token], select_index: int) -> bool:
    """Whether the SELECT at `select_index` reaches a FROM at its own parenthesis depth before it ends."""
    depth = 0
    for token in tokens[select_index + 1 :]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
            if depth < 0:
                return False
        elif depth == 0 and token.kind == "word":
            if token.lower == "from":
                return True
            if token.lower in _SELECT_ENDS or token.lower == "select":
                return False
        elif depth == 0 and token.text == ";":
            return False
    return False


def _casts_string_to_nls_type(tokens: list[Token], cast_index: int) -> bool:
    """`cast('literal' as date|timestamp|number...)`."""
    window = tokens[cast_index + 1 : cast_index + 5]
    return (
        len(window) == 4
        and window[0].text == "("
        and window[1].kind == "string"
        and window[2].lower == "as"
        and window[3].lower in _NLS_DEPENDENT_TYPES
    )


def _check_table_reference(
    tokens: list[Token], start: int, problems: list[str], relation_parts: set[int]
) -> None:
    """Check the table reference after FROM/JOIN (a name or a parenthesised subquery) and its alias."""
    first = tokens[start]
    if first.text == "(":
        end = _closing_paren(tokens, start) + 1
    elif first.kind in ("word", "quoted"):
        end = _dotted_name_end(tokens, start)
        relation_parts.update(range(start, end, 2))
    else:
        return
    if end < len(tokens) and tokens[end].lower == "as":
        problems.append("'AS' before a table alias (Oracle does not allow it)")
        end += 1
    alias = tokens[end] if end < len(tokens) else None
    if (
        alias is not None
        and alias.kind == "word"
        and alias.lower not in _NOT_ALIAS
        and alias.lower in RESERVED_WORDS
    ):
        problems.append(f"table alias is the reserved word '{tokens[end].text}'")
