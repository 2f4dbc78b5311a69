"""Where the ECharts library is served from, if the installed package ships it."""

from functools import lru_cache

from django.contrib.staticfiles import finders

# The path django-static-echarts documents for its copy of ECharts.
ECHARTS = "echarts/echarts.min.js"


@lru_cache(maxsize=1)
def echarts_path() -> str:
    """The static path of ECharts, or "" when no static directory provides it.

    Without it the dashboard still shows every number in its tables; the charts are an
    addition drawn by ``static/js/dashboard.js`` when the library is there.
    """
    return ECHARTS if finders.find(ECHARTS) else ""
