"""Where the ECharts library is served from, once `make assets` installed it from npm."""

from functools import lru_cache

from django.contrib.staticfiles import finders

# ECharts from npm (package.json), served from node_modules/echarts/dist (settings).
ECHARTS = "echarts/echarts.min.js"


@lru_cache(maxsize=1)
def echarts_path() -> str:
    """The static path of ECharts, or "" when no static directory provides it.

    Without it the dashboard still shows every number in its tables; the charts are an
    addition drawn by ``static/js/dashboard.js`` when the library is there.
    """
    return ECHARTS if finders.find(ECHARTS) else ""
