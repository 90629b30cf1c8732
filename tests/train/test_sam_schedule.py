"""SAM's two-step update and SBI's linear decay schedule."""

import itertools

import pytest
import torch

from adfd.train.sam import SAM, linear_decay


def sbi_lr(epoch: int, base: float = 1e-3, n_epoch: int = 100, start_decay: int = 75):
    """SBI's LinearDecayLR written out: base through ``start_decay`` (0-based epochs), then
    ``base - base / (n_epoch - start_decay) * (epoch - start_decay)``."""
    if epoch <= start_decay:
        return base
    return base - base / (n_epoch - start_decay) * (epoch - start_decay)


def test_linear_decay_matches_sbi_at_every_epoch():
    f = linear_decay(100, 75)
    lrs = [1e-3 * f(e) for e in range(100)]
    assert lrs == pytest.approx([sbi_lr(e) for e in range(100)], rel=1e-12, abs=1e-15)
    steps = [b - a for a, b in itertools.pairwise(lrs[75:])]
    assert steps == pytest.approx([-1e-3 / 25] * 24)  # one constant slope after epoch 75
    assert lrs[:76] == [1e-3] * 76 and lrs[99] == pytest.approx(4e-5)


@pytest.mark.slow
def test_the_trainer_steps_the_schedule_once_per_epoch(tmp_path, shards, tiny_experiment):
    """A real run: each epoch trains at the formula's lr and the scheduler is stepped
    exactly once per epoch (its ``last_epoch`` in the final state equals the epochs)."""
    from adfd.train.run import run
    from adfd.train.state import load_state

    exp = tiny_experiment
    exp["train"].update(epochs=4)
    exp["schedule"]["start_decay"] = 1
    summary = run(
        experiment=exp, seed=5, train_shards=shards["train"], val_shards=shards["val"],
        out_dir=tmp_path / "out", state_dir=tmp_path / "state", provenance={}, threads=1,
    )  # fmt: skip
    base = exp["optim"]["lr"]
    expect = [sbi_lr(e, base, 4, 1) for e in range(4)]  # 0.05, 0.05, 0.0333, 0.0167
    assert [h["lr"] for h in summary["history"]] == pytest.approx(expect, rel=1e-12)
    state = load_state(tmp_path / "state" / "state.pt")
    assert state["scheduler"]["last_epoch"] == 4 and state["epoch"] == 4
    assert summary["steps_run"] == 4 * summary["steps_per_epoch"]


def test_sam_uses_gradient_at_perturbed_point():
    # f(w) = sum(w^4): gradient 4 w^3; SAM steps with the gradient at w + rho g/|g|.
    w0 = torch.tensor([1.0, -2.0])
    w = torch.nn.Parameter(w0.clone())
    opt = SAM([w], torch.optim.SGD, rho=0.1, lr=0.01, momentum=0.0)
    (w**4).sum().backward()
    g = 4 * w0**3
    opt.first_step()
    assert torch.allclose(w.detach(), w0 + 0.1 * g / g.norm())
    (w**4).sum().backward()
    opt.second_step()
    w_adv = w0 + 0.1 * g / g.norm()
    assert torch.allclose(w.detach(), w0 - 0.01 * 4 * w_adv**3)


def test_sam_state_round_trip():
    w = torch.nn.Parameter(torch.ones(3))
    opt = SAM([w], torch.optim.SGD, rho=0.05, lr=0.1, momentum=0.9)
    (w**2).sum().backward()
    opt.first_step()
    (w**2).sum().backward()
    opt.second_step()
    state = opt.state_dict()
    opt2 = SAM([torch.nn.Parameter(torch.ones(3))], torch.optim.SGD, rho=0.05, lr=0.1,
               momentum=0.9)  # fmt: skip
    opt2.load_state_dict(state)
    assert opt2.param_groups[0]["lr"] == 0.1
