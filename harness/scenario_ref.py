"""Find a scenario by its reference, `MODULE:ATTRIBUTE`, as `--scenario` and the manifest name it."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from harness.cassettes import NOTEBOOK, SCENARIO_RE
from harness.errors import ConfigError
from harness.steps import Scenario

__all__ = ["NOTEBOOK", "load_scenario"]
HINT = (
    "name MODULE:ATTRIBUTE, a module importable from the current folder (or on PYTHONPATH) "
    "and its Scenario, e.g. --scenario mymodule:scenario"
)


def load_scenario(reference: str, *, named_by: str = "--scenario") -> Scenario[Any]:
    """The `Scenario` that `reference` names; any problem is a `ConfigError` (exit 2).

    `named_by` says where the reference came from, for the message: the option, or a manifest.
    """
    if not SCENARIO_RE.fullmatch(reference):
        raise ConfigError(f"{named_by} {reference[:120]!r} is not MODULE:ATTRIBUTE", hint=HINT)
    module_name, _, attribute = reference.partition(":")
    # As `python -m` does, a module in the current folder is found first.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        what = (
            f"no module named {module_name!r}"
            if module_name.startswith(missing)
            else f"importing {module_name!r} failed: no module named {missing!r}"
        )
        raise ConfigError(f"{named_by} {reference}: {what}", hint=HINT) from None
    except Exception as exc:  # the scenario module's own code failed as it was imported
        raise ConfigError(
            f"{named_by} {reference}: importing {module_name!r} failed ({type(exc).__name__}: {exc})",
            hint=f"fix the module so that `python -c 'import {module_name}'` works, then run again",
        ) from None
    for name in attribute.split("."):
        if not hasattr(found, name):
            raise ConfigError(
                f"{named_by} {reference}: {module_name!r} has no attribute {attribute!r}", hint=HINT
            )
        found = getattr(found, name)
    if not isinstance(found, Scenario):
        raise ConfigError(
            f"{named_by} {reference}: {attribute!r} is a {type(found).__name__}, not a harness.Scenario",
            hint="name the object made by `scenario = harness.Scenario()` that your steps are declared on",
        )
    if not found.steps:
        raise ConfigError(
            f"{named_by} {reference}: the scenario has no steps",
            hint="declare steps with @scenario.step() on functions taking (pd, run)",
        )
    return found
