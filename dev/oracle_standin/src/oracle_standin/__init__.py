"""A recording stand-in for python-oracledb and an Oracle server (dev/test only, never deployed)."""
