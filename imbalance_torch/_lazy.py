"""Public names that load on first use (PEP 562): NOTE [lazy imports].

NOTE [lazy imports]: the packages' public names load on first use, so the console script's
``--help`` and ``--list`` answer without importing torch and Lightning (seconds on a busy
laptop). ``from imbalance_torch import SMOTE`` and ``imbalance_torch.SMOTE`` work as before,
and so does a submodule reached as an attribute (``imbalance_torch.lightning.tables``). Each
package keeps one ``_EXPORTS`` table (name -> module); its ``__all__`` derives from it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose ``exports`` (name -> module)
    load on first use; ``namespace`` is the package's ``globals()`` (a loaded name is cached
    there, so later lookups skip ``__getattr__``)."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            if importlib.util.find_spec(f"{package}.{name}") is not None:  # a submodule
                return importlib.import_module(f"{package}.{name}")
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
