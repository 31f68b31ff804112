"""Reusable layout builders (no callbacks)."""
