"""Read and write matRad-format phantoms (`.mat` files holding `ct` and `cst`).

matRad keeps cubes in MATLAB order (y, x, z) and structure voxels as 1-based linear indices,
column-major over that (y, x, z) cube. We hold (z, y, x) C order, so both the cube and the
indices are converted here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any

import numpy as np
import scipy.io
from numpy.typing import NDArray

from yangcheng.radiotherapy.phantoms.errors import MatradFormatError
from yangcheng.radiotherapy.phantoms.hlut import MATRAD_DEFAULT_HLUT, red_to_hu
from yangcheng.radiotherapy.phantoms.phantom import Phantom, Structure, StructureKind

EXTERNAL_NAMES = frozenset({"BODY", "EXTERNAL", "SKIN", "PATIENT", "OUTLINE"})


def matrad_indices_to_mask(
    indices: NDArray[np.generic], shape_zyx: tuple[int, int, int]
) -> NDArray[np.bool_]:
    """1-based column-major (y, x, z) linear indices -> boolean (z, y, x) mask."""
    nz, ny, nx = shape_zyx
    flat = np.asarray(indices).ravel().astype(np.int64) - 1
    size = ny * nx * nz
    if flat.size and (flat.min() < 0 or flat.max() >= size):
        raise MatradFormatError(
            f"structure index out of range 1..{size} for cube (y, x, z)=({ny}, {nx}, {nz}): "
            f"min {flat.min() + 1}, max {flat.max() + 1}"
        )
    y, x, z = np.unravel_index(flat, (ny, nx, nz), order="F")
    mask = np.zeros(shape_zyx, dtype=np.bool_)
    mask[z, y, x] = True
    return mask


def mask_to_matrad_indices(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Boolean (z, y, x) mask -> sorted 1-based column-major (y, x, z) linear indices."""
    nz, ny, nx = mask.shape
    z, y, x = np.nonzero(mask)
    flat = np.ravel_multi_index((y, x, z), (ny, nx, nz), order="F")
    return np.sort(flat).astype(np.int64) + 1


def _field(obj: Any, name: str, where: str) -> Any:
    names = getattr(obj, "_fieldnames", [])
    if name not in names:
        raise MatradFormatError(f"{where} has no field {name!r} (fields: {names})")
    return getattr(obj, name)


def _first(value: Any) -> Any:
    """Unwrap MATLAB 1x1 cells/structs (loaded as object arrays) down to the element."""
    while isinstance(value, np.ndarray) and value.dtype == object:
        if value.size == 0:
            raise MatradFormatError("empty cell where a value was expected")
        value = value.flat[0]
    return value


def _as_str(value: Any) -> str:
    arr = np.asarray(_first(value))
    if arr.dtype.kind in "US":
        return "".join(str(s) for s in arr.ravel()).strip()
    raise MatradFormatError(f"expected a MATLAB char array, got dtype {arr.dtype}")


def _as_float(value: Any, where: str) -> float:
    arr = np.asarray(_first(value), dtype=np.float64).ravel()
    if arr.size != 1:
        raise MatradFormatError(f"{where}: expected a scalar, got {arr.size} values")
    return float(arr[0])


def _kind(name: str, matrad_type: str) -> StructureKind:
    if matrad_type.upper() == "TARGET":
        return "target"
    if name.upper() in EXTERNAL_NAMES:
        return "external"
    return "oar"


def _load(source: str | os.PathLike[str] | IO[bytes]) -> dict[str, Any]:
    try:
        return scipy.io.loadmat(source, squeeze_me=False, struct_as_record=False)
    except NotImplementedError as exc:  # scipy's answer to MATLAB v7.3 (HDF5) files
        raise MatradFormatError(
            f"{source!r} is a MATLAB v7.3 (HDF5) file; only v5/v7 files are supported "
            "(re-save it in MATLAB with save(..., '-v7'); h5py is not installed here)"
        ) from exc


def read_matrad(source: str | os.PathLike[str] | IO[bytes], name: str | None = None) -> Phantom:
    """Read a matRad `.mat` phantom into our (z, y, x) convention.

    Origin: from `ct.x/y/z` when present (world coordinates, voxel centres); otherwise the
    classic matRad cube coordinates, where voxel (1, 1, 1) is centred at the resolution.
    HU: `ct.cubeHU` when present, else `ct.cube` (electron density) mapped back through the HLUT.
    Only the first CT scenario and the first index set of each structure are read.
    """
    where = str(source) if isinstance(source, (str, os.PathLike)) else "matRad file"
    data = _load(source)
    for key in ("ct", "cst"):
        if key not in data:
            raise MatradFormatError(f"{where}: no variable {key!r} (has {sorted(data)})")
    ct = _first(data["ct"])
    fields = getattr(ct, "_fieldnames", [])
    hlut = (
        np.asarray(ct.hlut, dtype=np.float64)
        if "hlut" in fields and np.size(ct.hlut) >= 4
        else MATRAD_DEFAULT_HLUT.copy()
    )
    if "cubeHU" in fields:
        cube_yxz = np.asarray(_first(ct.cubeHU), dtype=np.float32)
        hu = cube_yxz
    elif "cube" in fields:
        hu = red_to_hu(np.asarray(_first(ct.cube), dtype=np.float64), hlut)
    else:
        raise MatradFormatError(f"{where}: ct has neither 'cubeHU' nor 'cube' (fields: {fields})")
    if hu.ndim != 3:
        raise MatradFormatError(f"{where}: ct cube must be 3-D (y, x, z); got shape {hu.shape}")
    hu_zyx = np.ascontiguousarray(hu.transpose(2, 0, 1))
    res = _first(_field(ct, "resolution", f"{where}: ct"))
    spacing = tuple(
        _as_float(_field(res, ax, f"{where}: ct.resolution"), f"ct.resolution.{ax}")
        for ax in ("z", "y", "x")
    )
    if all(ax in fields for ax in ("x", "y", "z")):
        origin = tuple(
            float(np.asarray(getattr(ct, ax), dtype=np.float64).ravel()[0]) for ax in "zyx"
        )
    else:
        origin = spacing
    shape = hu_zyx.shape
    structures: dict[str, Structure] = {}
    cst = data["cst"]
    if cst.ndim != 2 or cst.shape[1] < 4:
        raise MatradFormatError(f"{where}: cst must be an N x 6 cell; got shape {cst.shape}")
    for row in range(cst.shape[0]):
        s_name = _as_str(cst[row, 1])
        s_type = _as_str(cst[row, 2])
        try:
            indices = np.asarray(_first(cst[row, 3]))
        except MatradFormatError:
            indices = np.zeros(0, dtype=np.int64)
        priority = row + 1
        if cst.shape[1] > 4:
            props = _first(cst[row, 4]) if np.size(cst[row, 4]) else None
            if props is not None and "Priority" in getattr(props, "_fieldnames", []):
                priority = int(_as_float(props.Priority, f"cst row {row + 1} Priority"))
        try:
            mask = matrad_indices_to_mask(indices, (shape[0], shape[1], shape[2]))
        except MatradFormatError as exc:
            raise MatradFormatError(f"{where}: cst row {row + 1} ({s_name!r}): {exc}") from exc
        structures[s_name] = Structure(s_name, mask, _kind(s_name, s_type), priority)
    return Phantom(
        hu=hu_zyx,
        spacing_mm=(spacing[0], spacing[1], spacing[2]),
        origin_mm=(origin[0], origin[1], origin[2]),
        structures=structures,
        hlut=hlut,
        name=name or where,
    )


def _cell(value: Any) -> NDArray[np.object_]:
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = value
    return cell


def write_matrad(phantom: Phantom, path: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write a v5 `.mat` that matRad (and `read_matrad`) reads: cube in (y, x, z), 1-based
    column-major indices, world axes in `ct.x/y/z`."""
    z_mm, y_mm, x_mm = phantom.axes_mm()
    dz, dy, dx = phantom.spacing_mm
    cube_yxz = np.asarray(phantom.hu, dtype=np.float64).transpose(1, 2, 0)
    ct: Mapping[str, Any] = {
        "cubeHU": _cell(cube_yxz),
        "cube": _cell(phantom.relative_electron_density().astype(np.float64).transpose(1, 2, 0)),
        "resolution": {"x": dx, "y": dy, "z": dz},
        "x": x_mm[None, :],
        "y": y_mm[None, :],
        "z": z_mm[None, :],
        "cubeDim": np.array([cube_yxz.shape], dtype=np.float64),
        "numOfCtScen": 1.0,
        "hlut": phantom.hlut,
    }
    cst = np.empty((len(phantom.structures), 6), dtype=object)
    for row, structure in enumerate(phantom.structures.values()):
        cst[row, 0] = float(row)
        cst[row, 1] = structure.name
        cst[row, 2] = "TARGET" if structure.kind == "target" else "OAR"
        cst[row, 3] = _cell(mask_to_matrad_indices(structure.mask).astype(np.float64)[:, None])
        cst[row, 4] = {"Priority": float(structure.priority)}
        cst[row, 5] = np.empty((0, 0), dtype=object)
    scipy.io.savemat(path, {"ct": ct, "cst": cst}, format="5", do_compression=True)
