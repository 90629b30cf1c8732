"""SAM's two-step update and SBI's linear decay schedule."""

import pytest
import torch

from adfd.train.sam import SAM, linear_decay


def test_linear_decay_matches_sbi():
    f = linear_decay(100, 75)
    assert [f(e) for e in (0, 74, 75)] == [1.0, 1.0, 1.0]
    assert f(99) == pytest.approx(0.04)  # 1e-3 -> 4e-5 at the last epoch


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
