"""Analytics data: saved ledger views and exports (ledger), rollups and monthly reports (kpis)."""

from .kpis import *  # noqa: F403
from .ledger import *  # noqa: F403
