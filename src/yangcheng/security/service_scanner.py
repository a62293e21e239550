"""Scanner profiles on the platform: the installation's profiles listed, and looked up by
name for `security.xray.detect` (`security.scanner_profile`). Profiles are fitted from the
command line (`yangcheng security scanner fit`), where the scanner's wedge readings are."""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from yangcheng.config import Settings
from yangcheng.platform.catalog import Capability, InvalidInput
from yangcheng.security.scanner_profile import (
    ScannerProfile,
    UnknownScanner,
    load_profile,
    profiles_dir,
)

_lock = threading.Lock()
_profiles: dict[tuple[str, int], ScannerProfile] = {}
_home: Path | None = None


def configure(home: Path) -> None:
    """The platform's data folder, whose security/scanners holds the scanner profiles."""
    global _home
    _home = Path(home)


def home() -> Path:
    return _home or Settings().home


def profile(name: str) -> ScannerProfile:
    """The named profile, loaded again when it has been refitted since; InvalidInput
    (field ``scanner``) when there is none."""
    path = profiles_dir(home()) / f"{name}.json"
    key = (str(path), path.stat().st_mtime_ns if path.exists() else 0)
    with _lock:
        if key not in _profiles:
            try:
                _profiles[key] = load_profile(name, home())
            except UnknownScanner as exc:
                raise InvalidInput("scanner", str(exc.args[0])) from None
        return _profiles[key]


class ProfilesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileOut(BaseModel):
    name: str
    pixel_mm: list[float] = Field(description="Pitch across and along the belt.")
    dark: list[float] = Field(description="Raw (low, high) reading with the beam off.")
    air: list[float] = Field(description="Raw (low, high) reading through air.")
    wedge_steps: int = Field(description="Steps the map was fitted on.")
    materials: list[str]
    z_eff_error_median: float | None = Field(
        description="Effective Z of each wedge step fitted without it, against the reference "
        "scanner's: median absolute difference."
    )
    z_eff_error_p95: float | None
    z_eff_error_unmapped: float | None = Field(
        description="The same, read as the reference scanner's without the profile."
    )
    threshold: float | None = Field(
        default=None,
        description="The scanner's own bag alarm threshold, fixed on its own known bags; null: "
        "the model's.",
    )
    readable: bool = Field(description="False when the file no longer reads; refit it.")


class ProfilesResponse(BaseModel):
    folder: str
    profiles: list[ProfileOut]


def list_profiles(_: ProfilesRequest) -> ProfilesResponse:
    folder = profiles_dir(home())
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            p = profile(path.stem)
        except InvalidInput:
            out.append(
                ProfileOut(
                    name=path.stem, pixel_mm=[], dark=[], air=[], wedge_steps=0, materials=[],
                    z_eff_error_median=None, z_eff_error_p95=None, z_eff_error_unmapped=None,
                    readable=False,
                )
            )  # fmt: skip
            continue
        z = p.fit.get("z_eff_error", {})
        out.append(
            ProfileOut(
                name=p.name,
                pixel_mm=list(p.pixel_mm),
                dark=list(p.dark),
                air=list(p.air),
                wedge_steps=int(p.fit.get("steps_used", 0)),
                materials=list(p.fit.get("materials", [])),
                z_eff_error_median=z.get("median"),
                z_eff_error_p95=z.get("p95"),
                z_eff_error_unmapped=z.get("unmapped_median"),
                threshold=None if p.thresholds is None else p.thresholds[0],
                readable=True,
            )
        )
    return ProfilesResponse(folder=str(folder), profiles=out)


PROFILES = Capability(
    name="security.scanner.profiles",
    version="1.0.0",
    group="security",
    summary="The scanner profiles this installation can read images through",
    description=(
        "Lists the scanner profiles fitted here (`yangcheng security scanner fit`, from a "
        "scanner's step-wedge readings): name, pitch, dark and air levels, and how closely "
        "the profile carries the wedge steps it was not fitted on to the reference scanner's "
        "effective Z. Pass a name as `scanner` to security.xray.detect."
    ),
    request_model=ProfilesRequest,
    response_model=ProfilesResponse,
    handler=list_profiles,
    examples=({},),
)

CAPABILITIES = (PROFILES,)
