"""The public surface is exactly what `__all__` says (httpx's guard)."""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import modellab_async
from modellab_async import errors, models


def public_names(module: object) -> set[str]:
    """The public names a module defines or imports, leaving out its submodules."""
    # "@py_..." names come from pytest's assertion rewriting of the installed plugin's package.
    return {
        name
        for name, value in vars(module).items()
        if name[0] not in "_@" and not isinstance(value, ModuleType)
    } - {"annotations"}


def test_top_level_exports() -> None:
    assert set(modellab_async.__all__) <= set(vars(modellab_async))
    assert public_names(modellab_async) <= set(modellab_async.__all__)


def test_every_error_is_exported_at_the_top_level() -> None:
    assert set(errors.__all__) <= set(modellab_async.__all__)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.ModelLabError)


def test_models_export_every_model() -> None:
    assert set(models.__all__) == public_names(models)


def test_every_public_name_has_a_docstring() -> None:
    for module in (modellab_async, errors, models):
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value):
                assert value.__doc__, f"{module.__name__}.{name} has no docstring"


def test_importing_the_package_does_not_import_aiohttp() -> None:
    code = "import sys, modellab_async; assert 'aiohttp' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
