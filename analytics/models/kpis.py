"""KPI rollups and monthly reports."""

__all__: list[str] = []
