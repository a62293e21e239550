"""Yangcheng: an open AI platform for a city's hospitals, banks, airports and schools."""

__version__ = "0.1.0"
