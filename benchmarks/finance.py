"""Finance benchmarks: `python benchmarks/finance.py [--quick]`.

Decision latency and throughput, and backtests of the shipped flows
(`yangcheng bench finance`), then the risk models' accuracy on held-out data
(`yangcheng bench finance-models`).
"""

from __future__ import annotations

import sys

from yangcheng.cli import app

if __name__ == "__main__":
    for scenario in ("finance", "finance-models"):
        try:
            app(["bench", scenario, *sys.argv[1:]])
        except SystemExit as exit_:
            if exit_.code:
                raise
