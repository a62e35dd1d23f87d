"""envspec: one spec and one lock for a Python project's whole environment."""

__version__ = "0.1.0"
