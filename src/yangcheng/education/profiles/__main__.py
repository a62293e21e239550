"""``python -m yangcheng.education.profiles PATH``: write the evaluation-system document."""

from __future__ import annotations

import sys

from yangcheng.education.profiles.report import main

if __name__ == "__main__":
    sys.exit(main())
