"""Saved ledger views and export jobs."""

__all__: list[str] = []
