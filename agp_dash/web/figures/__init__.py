"""Pure Plotly figure builders: data and selection in, figure out (no Dash, no I/O)."""
