"""Demo data for `make run`: an organisation, a developer, a key and a finished job."""

from __future__ import annotations

import logging

from sqlalchemy import select

from yangcheng.platform import auth
from yangcheng.platform.state import Platform
from yangcheng.platform.store.models import Developer

log = logging.getLogger("yangcheng.demo")
DEMO_EMAIL = "demo@yangcheng.local"
DEMO_ORG = "Yangcheng Demo Bank"


def seed_demo(platform: Platform) -> str | None:
    """Create the demo account once; returns the raw key when it was just created."""
    with platform.db.session() as s:
        if s.scalar(select(Developer).where(Developer.email == DEMO_EMAIL)) is not None:
            log.warning(
                "demo account exists; make another key with: "
                "yangcheng keys create --email %s --organisation '%s' --scopes '*'",
                DEMO_EMAIL,
                DEMO_ORG,
            )
            return None
        raw, key = auth.create_key(
            s, email=DEMO_EMAIL, organisation=DEMO_ORG, scopes=["*"], name="demo"
        )
        key_id, dev_id = key.id, key.developer_id
    for cap in platform.registry.capabilities.values():
        if cap.examples:
            platform.jobs.submit(
                cap.name, list(cap.examples) * 10, api_key_id=key_id, developer_id=dev_id
            )
            break
    banner = "=" * 72
    print(
        f"{banner}\nDemo API key (shown once, full access): {raw}\n"
        f"Console: http://{platform.settings.host}:{platform.settings.port}/console "
        f"| API docs: /docs\n{banner}",
        flush=True,
    )
    return raw
