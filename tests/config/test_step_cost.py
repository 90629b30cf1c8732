"""Per-configuration step cost of `adfd plan --estimate` (adfd.config.step_cost)."""

import copy

from adfd.config import load_config
from adfd.config.step_cost import step_seconds_for
from adfd.estimate.training import run_seconds, step_cost


def test_measured_and_unmeasured_configurations_say_where_the_figure_comes_from():
    config = load_config()
    cost, train = config["evaluation"]["cost"], config["baseline"]["train"]
    assert step_seconds_for(train, cost) == (0.143, "fp32: measured")
    fast = {**train, "precision": "bf16", "channels_last": True}
    assert step_seconds_for(fast, cost) == (0.113, "bf16+channels_last: measured")
    compiled = {**fast, "compile": "step", "fused_optimizer": True}
    assert step_seconds_for(compiled, cost) == (
        0.113,
        "bf16+channels_last+compile_step+fused: unmeasured, bf16+channels_last figure used",
    )
    assert step_seconds_for({**train, "precision": "bf16"}, cost)[1] == (
        "bf16: unmeasured, fp32 figure used"
    )
    measured = {**cost, "execution": {"bf16+channels_last+compile_step+fused": 0.07}}
    assert step_seconds_for(compiled, measured) == (
        0.07,
        "bf16+channels_last+compile_step+fused: measured",
    )
    exp = copy.deepcopy(config["baseline"])
    exp["train"].update(compiled)
    per_step, source = step_cost(exp, cost, measured={})
    assert "unmeasured, bf16+channels_last figure used" in source
    secs, steps = run_seconds(exp, config, per_step)
    images = 2 * exp["train"]["batch_real"]
    assert secs == steps * 0.113 * images / cost["step_images"]  # no invented compile speed-up
