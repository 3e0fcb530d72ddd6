"""Stand-in for python-oracledb: put ``dev/oracle_standin/shim`` first on PYTHONPATH (tests only).

Every statement goes to the recording Oracle stand-in server named by ORACLE_STANDIN_ADDRESS; see
dev/oracle_standin/README.md. Standard library only, so every environment can import it.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SRC = str(Path(__file__).resolve().parents[2] / "src")
if _SRC not in sys.path:
    sys.path.append(_SRC)

from oracle_standin import driver as _driver  # noqa: E402

globals().update({name: getattr(_driver, name) for name in _driver.__all__})
__all__ = list(_driver.__all__)
__version__ = _driver.__version__
