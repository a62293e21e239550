"""Phantom errors: each names what is wrong and where, so a service can map it to a 4xx."""

from __future__ import annotations


class PhantomError(ValueError):
    """Base class of every phantom error."""


class UnknownStructureError(PhantomError):
    """A structure name that the phantom does not hold."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown structure {name!r}; this phantom holds {sorted(known)}")
        self.name = name
        self.known = known


class InvalidPhantomError(PhantomError):
    """Arrays or geometry that do not fit together (shape, spacing, mask dtype)."""


class MatradFormatError(PhantomError):
    """A matRad `.mat` file that lacks a field or holds one of an unexpected form."""


class PhantomNotAvailableError(PhantomError):
    """A phantom whose data is not on this machine (nothing is fetched at run time)."""
