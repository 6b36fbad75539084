"""Public names of a package imported on first use (PEP 562), for ``bahdanau`` and ``bahdanau.exercises``.

Every Otter-Grader process (``otter assign``, each ``otter run``) imports the grader's plugin,
``bahdanau.exercises.guard``, which needs only the standard library. Importing the packages
above it eagerly would import PyTorch too: about 2 s of each process.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_names(package: str, path: Iterable[str], sources: Mapping[str, str], namespace: dict[str, Any],
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose public names come from its
    submodules as ``sources`` says ({name: submodule}); ``namespace`` is its ``globals()``."""
    submodules = {module.name for module in pkgutil.iter_modules(path)}

    def __getattr__(name: str) -> Any:
        if name in sources:
            value = getattr(importlib.import_module(f"{package}.{sources[name]}"), name)
            namespace[name] = value  # the next use is a plain lookup, as after `from ... import`
            return value
        # `import bahdanau; bahdanau.training.set_seed(0)`, as the notebooks do
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *sources, *submodules})

    return __getattr__, __dir__
