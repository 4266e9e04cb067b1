"""Sphinx configuration: MyST Markdown pages, API reference from the Google-style docstrings."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import imbalance_torch  # noqa: E402

project = "imbalance-torch"
author = "the imbalance-torch authors"
release = version = imbalance_torch.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "generated_tables"]
templates_path = ["_templates"]
html_theme = "furo"
html_title = f"imbalance-torch {release}"
autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": False, "exclude-members": "prepare_data_per_node"}
autodoc_inherit_docstrings = False  # Lightning's own hook docs cite labels of its site
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_custom_sections = [("Shape", "params_style"), ("References", "notes_style")]


def _draw_pictures(app) -> None:
    """Pictures made from the library itself, redrawn at every build."""
    sys.path.insert(0, str(Path(__file__).parent / "_scripts"))
    import synthetic_rows
    import tables

    synthetic_rows.draw(Path(__file__).parent / "images" / "generated" / "synthetic_rows.png")
    tables.write(Path(__file__).parent / "generated_tables")


def setup(app) -> None:
    app.connect("builder-inited", _draw_pictures)
