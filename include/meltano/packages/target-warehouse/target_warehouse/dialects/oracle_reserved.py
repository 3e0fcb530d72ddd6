"""Oracle's SQL reserved words: a column with one of these names must be quoted.

Source: Oracle Database SQL Language Reference, appendix "Oracle SQL Reserved Words" (the words
V$RESERVED_WORDS lists with RESERVED = 'Y'). SQLAlchemy's Oracle list lacks about two dozen of them
(ACCESS, ADD, AUDIT, COLUMN, FILE, IMMEDIATE, INCREMENT, INITIAL, MAXEXTENTS, MLSLABEL, MODIFY,
NOAUDIT, OFFLINE, ONLINE, ROW, ROWID, ROWNUM, ROWS, SESSION, SUCCESSFUL, SYSDATE, VALIDATE,
WHENEVER): an unquoted column of that name is ORA-00904 in DDL and ORA-01745 as a bind name.
"""

from __future__ import annotations

_WORDS = """
    access add all alter and any as asc audit between by char check cluster column comment compress
    connect create current date decimal default delete desc distinct drop else exclusive exists file
    float for from grant group having identified immediate in increment index initial insert integer
    intersect into is level like lock long maxextents minus mlslabel mode modify noaudit nocompress not
    nowait null number of offline on online option or order pctfree prior privileges public raw rename
    resource revoke row rowid rownum rows select session set share size smallint start successful
    synonym sysdate table then to trigger uid union unique update user validate values varchar varchar2
    view whenever where with
"""
ORACLE_RESERVED_WORDS = frozenset(_WORDS.split())
