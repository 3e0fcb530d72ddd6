"""Where the tap may send the WMS credential: only to the configured WMS, and only over HTTPS.

An origin is (scheme, host, port) with the scheme's default port filled in. Plain HTTP is accepted
only on loopback addresses (127.0.0.0/8, ::1, localhost), where the local simulator and tests run.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple
from urllib.parse import urlsplit

DEFAULT_PORTS = {"https": 443, "http": 80}


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int | None

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


class InsecureURLError(ValueError):
    """A URL that would carry the WMS credential unencrypted, or is not a URL at all."""


def origin_of(url: str) -> Origin:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return Origin(scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(url: str, setting: str) -> str:
    """`url` when it is https (or http on a loopback address); a clear error naming `setting` else."""
    origin = origin_of(url)
    if not origin.host or origin.scheme not in DEFAULT_PORTS:
        msg = f"`{setting}` must be an absolute https:// URL, got {url!r}"
        raise InsecureURLError(msg)
    if origin.scheme != "https" and not is_loopback(origin.host):
        msg = (
            f"`{setting}` must use https:// (plain http is allowed only on loopback addresses): "
            f"{url!r} would send the WMS credential unencrypted"
        )
        raise InsecureURLError(msg)
    return url
