"""Local simulator of the VPS.org server API (public API plus a ``/_sim/`` control plane)."""

__version__ = "0.1.0"
