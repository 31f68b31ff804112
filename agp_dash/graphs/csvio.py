"""CSV serialisation shared by every agp CSV (seed spec §2.11).

UTF-8 without BOM, no index column, ``\\n`` line ends, minimal quoting; floats in shortest
round-trip form (``repr``), missing values as empty fields, booleans ``True``/``False``.
"""
from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from agp_dash.atomic import atomic_write_text


def _cell_strings(column: pd.Series) -> list[str]:
    """Format one column without a Python loop over DataFrame rows."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        mask = column.isna().to_numpy()
        return ["" if m else str(bool(v)) for v, m in zip(column.tolist(), mask)]
    if pd.api.types.is_integer_dtype(dtype):
        mask = column.isna().to_numpy()
        return ["" if m else str(int(v)) for v, m in zip(column.tolist(), mask)]
    if pd.api.types.is_float_dtype(dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan).tolist()
        return ["" if v != v else repr(v) for v in values]
    return [_object_cell(v) for v in column.tolist()]


def _object_cell(value) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, np.floating):
        return "" if np.isnan(value) else repr(float(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def dataframe_to_csv_text(frame: pd.DataFrame) -> str:
    """The CSV text of ``frame`` under the project conventions."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([str(c) for c in frame.columns])
    columns = [_cell_strings(frame[c]) for c in frame.columns]
    writer.writerows(zip(*columns))
    return buffer.getvalue()


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` atomically (never a half-written file)."""
    return atomic_write_text(path, dataframe_to_csv_text(frame))
