"""padan's version, as installed (one place for every module that records it)."""

from importlib.metadata import version

__version__ = version("padan")
