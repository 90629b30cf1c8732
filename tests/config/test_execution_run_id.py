"""Which execution options enter the run id (docs/decisions.md, fast execution options)."""

import copy

import pytest

from adfd.config import load_config
from adfd.config.canonical import canonical_form, run_id
from adfd.config.resolve import ConfigError
from adfd.config.schema import validate_config


def _id(config, **train):
    exp = copy.deepcopy(config["baseline"])
    exp["train"].update(train)
    kw = dict(seed=5, preprocess=config["preprocess"], dataset=config["datasets"]["ffpp"])
    return run_id(canonical_form(exp, **kw))


def test_speed_only_options_keep_the_run_id_numerics_options_change_it():
    config = load_config()
    base = _id(config)
    same = _id(config, channels_last=True, fused_optimizer=True, prefetch=True, workers=16)
    assert same == base
    assert base == _id({**config, "baseline": _without_new_keys(config["baseline"])})
    changed = {_id(config, precision="bf16"), _id(config, compile="model"),
               _id(config, compile="step")}  # fmt: skip
    assert len(changed) == 3 and base not in changed


def _without_new_keys(baseline):
    """The baseline as written before compile/fused_optimizer/prefetch existed."""
    old = copy.deepcopy(baseline)
    for key in ("compile", "fused_optimizer", "prefetch"):
        old["train"].pop(key)
    return old


@pytest.mark.parametrize(("key", "value"), [("compile", "max"), ("prefetch", "yes")])
def test_schema_rejects_bad_execution_values(key, value):
    config = load_config(validate=False)
    config["baseline"]["train"][key] = value
    with pytest.raises(ConfigError, match=rf"baseline\.train\.{key}"):
        validate_config(config)
