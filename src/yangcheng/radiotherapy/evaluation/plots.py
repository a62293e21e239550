"""PNG figures of a plan: DVH curves and an axial dose colour wash over the CT.

Figures are drawn on a bare `Figure` with the Agg canvas (no pyplot state), so they are safe to
render from a server thread and never open a window.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

from yangcheng.radiotherapy.evaluation.dvh import DVH
from yangcheng.radiotherapy.evaluation.errors import InvalidMetricError, ShapeMismatchError
from yangcheng.radiotherapy.phantoms.phantom import Phantom

_COLOURS = (
    "tab:red",
    "tab:blue",
    "tab:green",
    "tab:orange",
    "tab:purple",
    "tab:cyan",
    "tab:pink",
    "tab:olive",
    "tab:brown",
    "tab:gray",
)


def _png(fig: Figure, dpi: int) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def dvh_plot_png(
    dvhs: Sequence[DVH] | Mapping[str, DVH],
    title: str = "Cumulative DVH",
    prescription_gy: float | None = None,
    dpi: int = 100,
) -> bytes:
    """One curve per structure (labelled by DVH name or mapping key)."""
    items = list(dvhs.items()) if isinstance(dvhs, Mapping) else [(d.name, d) for d in dvhs]
    if not items:
        raise InvalidMetricError("dvh_plot_png: no DVH to plot")
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    for i, (label, curve) in enumerate(items):
        ax.plot(curve.dose_gy, curve.volume_pct, color=_COLOURS[i % len(_COLOURS)], label=label)
    if prescription_gy is not None:
        ax.axvline(prescription_gy, color="k", linestyle="--", linewidth=0.8, label="Rx")
    ax.set_xlabel("Dose [Gy]")
    ax.set_ylabel("Volume [%]")
    ax.set_ylim(0, 102)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return _png(fig, dpi)


def dose_slice_png(
    dose_gy: NDArray[np.floating],
    phantom: Phantom,
    z_index: int,
    threshold_pct: float = 10.0,
    dose_max_gy: float | None = None,
    structures: Sequence[str] | None = None,
    window_hu: tuple[float, float] = (-400.0, 400.0),
    dpi: int = 100,
) -> bytes:
    """Axial slice `z_index`: CT in greyscale (window `window_hu`), dose wash above
    `threshold_pct` of the colour-scale maximum, and one contour per structure."""
    if dose_gy.shape != phantom.shape:
        raise ShapeMismatchError(f"dose shape {dose_gy.shape} != phantom grid {phantom.shape}")
    if not 0 <= z_index < phantom.shape[0]:
        raise InvalidMetricError(f"z_index {z_index} outside 0..{phantom.shape[0] - 1}")
    z_mm, y_mm, x_mm = phantom.axes_mm()
    _, dy, dx = phantom.spacing_mm
    extent = (x_mm[0] - dx / 2, x_mm[-1] + dx / 2, y_mm[-1] + dy / 2, y_mm[0] - dy / 2)
    top = float(dose_max_gy if dose_max_gy is not None else max(float(np.max(dose_gy)), 1e-9))
    slice_dose = np.asarray(dose_gy[z_index], dtype=np.float64)
    wash = np.ma.masked_less(slice_dose, threshold_pct / 100.0 * top)

    fig = Figure(figsize=(6.4, 5.4))
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(
        phantom.hu[z_index],
        cmap="gray",
        vmin=window_hu[0],
        vmax=window_hu[1],
        extent=extent,
        origin="upper",
        interpolation="nearest",
    )
    image = ax.imshow(
        wash,
        cmap="jet",
        vmin=0.0,
        vmax=top,
        alpha=0.45,
        extent=extent,
        origin="upper",
        interpolation="nearest",
    )
    fig.colorbar(image, ax=ax, label="Dose [Gy]", fraction=0.046, pad=0.04)
    names = list(structures) if structures is not None else list(phantom.structures)
    for i, name in enumerate(names):
        mask_slice = phantom.mask_of(name)[z_index]
        if mask_slice.any() and not mask_slice.all():
            ax.contour(
                x_mm,
                y_mm,
                mask_slice.astype(np.float32),
                levels=[0.5],
                colors=[_COLOURS[i % len(_COLOURS)]],
                linewidths=1.0,
            )
            ax.plot([], [], color=_COLOURS[i % len(_COLOURS)], label=name)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")
    ax.set_title(f"{phantom.name}: z = {z_mm[z_index]:.1f} mm (slice {z_index})")
    fig.tight_layout()
    return _png(fig, dpi)
