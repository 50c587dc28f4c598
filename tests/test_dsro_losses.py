"""DSRO's losses (dsro/losses.py) against hand computations, and the DPO/DRO gradient relation at theta = reference."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from hsimul3r_ext.dsro.generator import FlowGenerator
from hsimul3r_ext.dsro.losses import dpo_loss, dro_loss, flow_loss, sample_times
from hsimul3r_ext.dsro.parts import LATENT_SIZE
from hsimul3r_ext.dsro.parts_generator import NetworkSize, PartsFlowGenerator


class LinearFake(FlowGenerator):
    """v(x_t, t, c) = W x_t + t u + c with W = [[0.5, 0], [0, -1]], u = [2, 0]: small enough to do by hand."""

    latent_shape = (2,)

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor([[0.5, 0.0], [0.0, -1.0]], dtype=torch.float64))
        self.time = torch.nn.Parameter(torch.tensor([2.0, 0.0], dtype=torch.float64))

    def condition(self, observation):
        raise NotImplementedError

    def velocity(self, x_t, t, condition):
        return x_t @ self.weight.T + t[:, None] * self.time + condition

    def decode(self, latents):
        raise NotImplementedError

    def prepare_finetuning(self, lora_rank):
        raise NotImplementedError

    def trainable_parameters(self):
        return list(self.parameters())

    def save(self, path, **metadata):
        raise NotImplementedError


def test_flow_loss_by_hand():
    x0 = torch.tensor([[1.0, 2.0], [0.0, 0.0]], dtype=torch.float64)
    noise = torch.tensor([[0.5, -1.0], [1.0, 1.0]], dtype=torch.float64)
    t = torch.tensor([0.25, 1.0], dtype=torch.float64)
    c = torch.tensor([[0.1, 0.2], [0.0, 0.0]], dtype=torch.float64)
    # sample 0: x_t = 0.75 [1, 2] + 0.25 [0.5, -1] = [0.875, 1.25]
    #           v = [0.5 * 0.875 + 0.25 * 2 + 0.1, -1.25 + 0 + 0.2] = [1.0375, -1.05]
    #           target eps - x0 = [-0.5, -3]; error = [1.5375, 1.95]; mean square = (2.36390625 + 3.8025) / 2
    # sample 1: x_t = [1, 1]; v = [0.5 + 2, -1] = [2.5, -1]; target = [1, 1]; error = [1.5, -2]
    #           mean square = (2.25 + 4) / 2
    expected = [(2.36390625 + 3.8025) / 2, (2.25 + 4.0) / 2]
    got = flow_loss(LinearFake(), x0, c, t, noise)
    assert got.shape == (2,)
    assert got.tolist() == pytest.approx(expected, rel=1e-12)


def test_dpo_and_dro_by_hand():
    f64 = torch.float64
    loss_win = torch.tensor([0.3, 0.5, 0.3], dtype=f64)
    loss_lose = torch.tensor([0.5, 0.3, 0.5], dtype=f64)
    ref_win = torch.tensor([0.35, 0.35, 0.4], dtype=f64)
    ref_lose = torch.tensor([0.45, 0.45, 0.6], dtype=f64)
    # margins: (0.3 - 0.5) - (0.35 - 0.45) = -0.1; (0.5 - 0.3) - (-0.1) = 0.3; (-0.2) - (-0.2) = 0
    # -log sigmoid(x) = log(1 + exp(-x)) with x = -(500 / 2) margin = 25, -75, 0
    expected = [math.log1p(math.exp(-25.0)), 75.0 + math.log1p(math.exp(-75.0)), math.log(2.0)]
    got = dpo_loss(loss_win, loss_lose, ref_win, ref_lose, beta=500.0)
    assert got.tolist() == pytest.approx(expected, rel=1e-9)
    assert got[0].item() == pytest.approx(1.3887943864771144e-11, rel=1e-9)
    # a small beta leaves the sigmoid unsaturated: x = -(10 / 2)(-0.1) = 0.5
    small = dpo_loss(loss_win[:1], loss_lose[:1], ref_win[:1], ref_lose[:1], beta=10.0)
    assert small.item() == pytest.approx(math.log(1.0 + math.exp(-0.5)), rel=1e-12)
    assert dro_loss(loss_win, loss_lose).tolist() == pytest.approx([-0.2, 0.2, -0.2], rel=1e-12)


def test_sample_times_logit_normal():
    generator = torch.Generator().manual_seed(0)
    t = sample_times(20000, generator, mean=1.0, std=1.0)
    assert ((t > 0) & (t < 1)).all()
    n = torch.log(t / (1 - t))
    assert n.mean().item() == pytest.approx(1.0, abs=0.03)
    assert n.std().item() == pytest.approx(1.0, abs=0.03)


def _tiny_pair(seed: int = 0):
    torch.manual_seed(seed)
    policy = PartsFlowGenerator(NetworkSize(width=32, blocks=1, condition_width=32))
    reference = copy.deepcopy(policy).requires_grad_(False)
    generator = torch.Generator().manual_seed(seed + 1)
    batch = 6
    c = torch.randn(batch, 32, generator=generator)
    x_win = torch.randn(batch, LATENT_SIZE, generator=generator)
    x_lose = torch.randn(batch, LATENT_SIZE, generator=generator)
    t = sample_times(batch, generator)
    noise = torch.randn(batch, LATENT_SIZE, generator=generator)
    return policy, reference, (x_win, x_lose, c, t, noise)


def _losses(policy, reference, data):
    x_win, x_lose, c, t, noise = data
    out = (flow_loss(policy, x_win, c, t, noise), flow_loss(policy, x_lose, c, t, noise))
    with torch.no_grad():
        ref = (flow_loss(reference, x_win, c, t, noise), flow_loss(reference, x_lose, c, t, noise))
    return out, ref


def _gradients(policy, loss):
    parameters = list(policy.trainable_parameters())
    return torch.autograd.grad(loss, parameters)


def test_dpo_gradient_at_reference_is_beta_over_four_dro():
    policy, reference, data = _tiny_pair()
    beta = 500.0
    (win, lose), (ref_win, ref_lose) = _losses(policy, reference, data)
    assert torch.equal(win.detach(), ref_win) and torch.equal(lose.detach(), ref_lose)  # theta = reference
    dpo = _gradients(policy, dpo_loss(win, lose, ref_win, ref_lose, beta).mean())
    (win, lose), _ = _losses(policy, reference, data)
    dro = _gradients(policy, dro_loss(win, lose).mean())
    assert any(g.abs().max() > 0 for g in dro)
    for g_dpo, g_dro in zip(dpo, dro, strict=True):
        scale = (beta / 4 * g_dro).abs().max().item()  # float32 rounding, relative to the tensor's scale
        assert torch.allclose(g_dpo, beta / 4 * g_dro, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("loss", ["dro", "dpo"])
def test_one_step_lowers_winner_minus_loser(loss):
    policy, reference, data = _tiny_pair(seed=3)
    (win, lose), (ref_win, ref_lose) = _losses(policy, reference, data)
    before = (win - lose).mean().item()
    value = dpo_loss(win, lose, ref_win, ref_lose, 500.0) if loss == "dpo" else dro_loss(win, lose)
    optimiser = torch.optim.SGD(list(policy.trainable_parameters()), lr=1e-5 if loss == "dpo" else 1e-3)
    optimiser.zero_grad()
    value.mean().backward()
    optimiser.step()
    with torch.no_grad():
        (win, lose), _ = _losses(policy, reference, data)
    after = (win - lose).mean().item()
    assert after < before
