"""JSON-schema validation of the whole config (workflow/schemas/config.schema.yaml).

The Snakefile and the ``adfd`` command line both validate with this module and the same
schema file, so there is one source of truth; the values of each ablation axis come from
adfd/registries.py (``x-registry`` nodes). Defaults declared in
the schema are filled in, as Snakemake does.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from adfd.errors import UserError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(UserError, ValueError):
    """A config problem, with the key path that caused it."""


@cache
def load_schema() -> dict[str, Any]:
    """The schema, with every ``x-registry: <axis>`` node given that axis's declared values
    as its ``enum`` (adfd/registries.py is the one list of an axis's values)."""
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return _fill_registries(yaml.safe_load(fh), _axes())


def _axes() -> dict[str, tuple[str, ...]]:
    from adfd import registries
    from adfd.registry import Registry

    regs = [v for v in vars(registries).values() if isinstance(v, Registry)]
    return {reg.axis: reg.declared for reg in regs}


def _fill_registries(node: Any, axes: dict[str, tuple[str, ...]]) -> Any:
    if isinstance(node, dict):
        out = {k: _fill_registries(v, axes) for k, v in node.items() if k != "x-registry"}
        if "x-registry" in node:
            out["enum"] = list(axes[node["x-registry"]])
        return out
    if isinstance(node, list):
        return [_fill_registries(v, axes) for v in node]
    return node


def _with_defaults(cls):
    validate_props = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(prop, sub["default"])
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(cls, {"properties": set_defaults})


def format_error(err: jsonschema.ValidationError, prefix: str = "") -> str:
    path = ".".join(str(p) for p in err.absolute_path)
    where = ".".join(p for p in (prefix, path) if p) or "<top level>"
    return f"config error at {where}: {err.message}"


def validate_config(config: dict[str, Any]) -> None:
    """Validate (and default-fill) ``config`` in place; raise ConfigError naming the key."""
    schema = load_schema()
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError("\n".join(format_error(e) for e in errors))


def validate_experiment(resolved: dict[str, Any], where: str) -> None:
    """Validate one resolved row against the schema's ``experiment`` definition."""
    schema = load_schema()
    sub = {"$defs": schema["$defs"], "$ref": "#/$defs/experiment"}
    validator = jsonschema.Draft202012Validator(sub)
    errors = sorted(validator.iter_errors(resolved), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError("\n".join(format_error(e, where) for e in errors))
