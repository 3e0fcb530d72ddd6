"""Errors that tell the operator which setting to fix, and never show a secret."""

from __future__ import annotations

import re

import sqlalchemy as sa

# (pattern in the driver's message, the setting to fix)
_HINTS: tuple[tuple[str, str], ...] = (
    (
        r"password authentication failed|ORA-01017|invalid username/password|ORA-28000|DPY-4001",
        "username/password",
    ),
    (
        r'database ".*" does not exist|ORA-12514|DPY-6001|ORA-12505',
        "sqlalchemy_url (database / service name)",
    ),
    (
        r"Connection refused|could not translate host|Name or service not known|timeout expired|timed out"
        r"|No route to host|DPY-6005|ORA-12541|ORA-12170|getaddrinfo",
        "sqlalchemy_url (host/port)",
    ),
    (
        r"Could not set lock|IO Error|Cannot open file|No such file",
        "sqlalchemy_url (DuckDB file path or lock)",
    ),
    (r"permission denied|insufficient privileges|ORA-01031|ORA-01950", "default_target_schema (privileges)"),
)


class WarehouseConfigError(RuntimeError):
    """The warehouse cannot be used as configured; the message names the setting to fix."""


class ConcurrentSchemaChange(RuntimeError):
    """A schema change failed because another loader changed the same table first; plan again."""


class SchemaChangeTimeout(RuntimeError):
    """A schema change kept waiting for other sessions' locks on its table; the message names it."""


class QuarantineThresholdExceeded(RuntimeError):
    """More records were quarantined in this run than ``quarantine_threshold`` allows."""


def masked(url: sa.URL) -> str:
    """The URL as text with its password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


def scrub(text: str, secrets: list[str | None]) -> str:
    """Remove every non-empty secret from ``text`` (drivers sometimes echo connect strings)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    # Any user:password@ pair that slipped through, e.g. from a nested URL.
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)


def explain(exc: BaseException, url: sa.URL, action: str) -> WarehouseConfigError:
    """Turn a driver/SQLAlchemy error into a WarehouseConfigError naming the setting to fix."""
    original = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = scrub(original[0] if original else type(exc).__name__, [url.password and str(url.password)])
    setting = next(
        (name for pattern, name in _HINTS if re.search(pattern, detail, re.IGNORECASE)),
        "sqlalchemy_url, username/password and default_target_schema",
    )
    return WarehouseConfigError(f"Cannot {action} on {masked(url)}: {detail}. Check the setting {setting}.")
