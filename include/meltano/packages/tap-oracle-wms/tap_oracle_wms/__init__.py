"""Singer tap for Oracle WMS Cloud lgfapi v10, built on the Meltano Singer SDK."""
