"""agp: Attribution Graph Probing."""

__version__ = "0.1.0"

