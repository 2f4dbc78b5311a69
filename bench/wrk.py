"""Form posts under load from ``wrk``, a C client, so the machine's cores go to the server
being measured. The Lua script builds each request and ends by printing a line
``WRK requests=… seconds=… p50_ms=… p99_ms=… errors=…``."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path


def wrk_run(script: Path, url: str, *, env: dict[str, str], seconds: int,
            connections: int) -> tuple[dict[str, float], str]:
    """Run ``wrk`` with one thread; its summary figures, and its whole output."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(script), url],
        env={**os.environ, **env}, capture_output=True, text=True, check=True,
        timeout=seconds + 60).stdout
    summary = re.search(r"^WRK (.*)$", output, re.MULTILINE).group(1)
    return {name: float(value) for name, value in
            (pair.split("=") for pair in summary.split())}, output
