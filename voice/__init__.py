"""Phone voice assistant with human transfer."""

__version__ = "0.1.0"
