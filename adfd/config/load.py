"""Load YAML config files (``yaml.safe_load``) and merge them like Snakemake does.

Later files override earlier ones key by key (dicts merge recursively, lists and scalars are
replaced), which is how ``snakemake --configfile demo/config.yaml`` overlays ``config.yaml``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from adfd.config.schema import ConfigError, validate_config

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config.yaml"


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Return a new dict: ``over`` merged into ``base`` recursively (dicts only)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_yaml(path: Path) -> dict[str, Any]:
    """The mapping in YAML file ``path``; a missing, unreadable or non-mapping file raises
    :class:`ConfigError` naming the file."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        reason = " ".join(str(err).split())
        raise ConfigError(f"{path}: not valid YAML: {reason}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_config(paths: list[Path] | None = None, *, validate: bool = True) -> dict[str, Any]:
    """Load ``config.yaml`` then each overlay in ``paths``, merged; validated by default."""
    config: dict[str, Any] = read_yaml(DEFAULT_CONFIG)
    for path in paths or []:
        config = deep_merge(config, read_yaml(Path(path)))
    if validate:
        validate_config(config)
    return config
