"""The Dash UI: a thin layer of layouts and callbacks over the pure packages."""
