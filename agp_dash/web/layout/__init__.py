"""Layouts: component trees only, no callbacks."""
