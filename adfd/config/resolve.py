"""Resolve a table row: the baseline with the row's override merged in.

A row lists only what it changes; every key it names must exist in ``baseline`` (so a typo
fails while the DAG is built, naming the row and the key path), and the merged result must
satisfy the schema's ``experiment`` definition.
"""

from __future__ import annotations

from typing import Any

from adfd.config.load import deep_merge
from adfd.config.schema import ConfigError, validate_experiment


def check_override_keys(baseline: dict[str, Any], override: dict[str, Any], where: str) -> None:
    for key, value in override.items():
        path = f"{where}.{key}"
        if key not in baseline:
            known = ", ".join(sorted(baseline))
            raise ConfigError(f"config error at {path}: unknown key '{key}'; known: {known}")
        if isinstance(value, dict):
            if not isinstance(baseline[key], dict):
                raise ConfigError(f"config error at {path}: '{key}' is not a mapping in baseline")
            check_override_keys(baseline[key], value, path)


def resolve_row(
    baseline: dict[str, Any], override: dict[str, Any] | None, where: str
) -> dict[str, Any]:
    """Merge ``override`` into ``baseline`` and validate the result (``where`` names the row)."""
    override = override or {}
    check_override_keys(baseline, override, f"{where}.override")
    resolved = deep_merge(baseline, override)
    validate_experiment(resolved, where)
    return resolved
