"""Sphinx configuration: the documentation is built from the docstrings (autodoc with
napoleon's numpydoc reading) and the Markdown pages in this folder (MyST).

Build: ``scripts/build_docs`` (warnings are errors)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # document this checkout, not an installed copy

project = "binnenuit"
author = "binnenuit developers"
copyright = "binnenuit developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "myst_parser",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# numpydoc sections through napoleon; Attributes as fields of the class, so that a
# dataclass's fields are not described twice.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
napoleon_use_rtype = False

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": False}

myst_heading_anchors = 3

html_theme = "alabaster"
html_title = "binnenuit"
html_static_path: list[str] = []
