"""Reading the reference values that the R scripts in tests/reference/ wrote."""

from pathlib import Path

import numpy as np
import pandas as pd


def read_reference(path: Path) -> pd.DataFrame:
    """A reference.csv with its ``value`` column numeric ("NA" becomes NaN)."""
    ref = pd.read_csv(path, keep_default_na=False)
    ref["value"] = pd.to_numeric(ref["value"].replace("NA", np.nan))
    return ref
