"""Platform benchmark: `python benchmarks/platform_api.py [--quick]`."""

from __future__ import annotations

import sys

from yangcheng.cli import app

if __name__ == "__main__":
    app(["bench", "platform", *sys.argv[1:]])
