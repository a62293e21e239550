from __future__ import annotations

from fastapi import FastAPI


def mount_console(app: FastAPI) -> None:
    return None
