"""The activation functions, and the claims the activations chapter makes."""

import numpy as np
import pytest
import torch

from snippets import activations as act

X = np.linspace(-6, 6, 121)


@pytest.mark.parametrize(
    ("f", "torch_f"),
    [(act.relu, torch.relu), (act.sigmoid, torch.sigmoid), (act.tanh, torch.tanh)],
)
def test_functions_match_pytorch(f, torch_f):
    assert np.allclose(f(X), torch_f(torch.from_numpy(X)).numpy())


@pytest.mark.parametrize(
    ("f", "df"),
    [(act.sigmoid, act.sigmoid_grad), (act.tanh, act.tanh_grad), (act.relu, act.relu_grad)],
)
def test_derivatives_match_autograd(f, df):
    x = X[X != 0]  # ReLU has no derivative at 0
    t = torch.from_numpy(x).requires_grad_()
    {act.relu: torch.relu, act.sigmoid: torch.sigmoid, act.tanh: torch.tanh}[f](t).sum().backward()
    assert np.allclose(df(x), t.grad.numpy())


def test_a_wrong_derivative_is_caught():
    # the check above is not vacuous: a wrong formula fails it
    assert not np.allclose(act.numerical_grad(act.sigmoid, X), act.sigmoid(X))


def test_sigmoid_is_stable_and_bounded():
    with np.errstate(over="raise"):
        values = act.sigmoid(np.array([-1e4, 0.0, 1e4]))
    assert values.tolist() == [0.0, 0.5, 1.0]
    assert act.sigmoid_grad(X).max() == pytest.approx(0.25)


def test_linear_layers_cannot_fit_xor_but_relu_network_does():
    assert np.allclose(act.best_linear_fit(act.XOR_X, act.XOR_Y), 0.5)
    assert act.xor_network(act.XOR_X).tolist() == act.XOR_Y.tolist()


def test_sigmoid_gradients_vanish():
    norms = act.gradient_norms("sigmoid", "xavier")
    assert norms.shape == (20,)
    assert norms[0] / norms[-1] < 1e-9
    assert np.all(np.diff(np.log(norms)) > 0)  # shrinks at every layer towards the input
    # the page: about 0.22 per layer, just below the sigmoid's largest slope of 0.25
    factor = (norms[0] / norms[-1]) ** (1 / 19)
    assert 0.18 < factor < 0.25


def test_relu_with_he_init_keeps_gradients():
    norms = act.gradient_norms("relu", "he")
    assert 0.1 < norms[0] / norms[-1] < 10


def test_relu_with_bad_init_still_vanishes():
    # the page's correction: ReLU mitigates, it does not solve
    assert act.gradient_norms("relu", "small").max() < 1e-20


def test_relu_with_large_init_explodes():
    large = act.gradient_norms("relu", "large")
    he = act.gradient_norms("relu", "he")
    assert large.min() > 1e3  # every layer: about 10^5 on the page
    assert large.min() / he.max() > 1e4


def test_relu_gradients_are_flat_across_layers_for_any_scale():
    # with ReLU the forward and backward factors cancel in each layer's weight gradient
    for init in ["he", "small", "large"]:
        norms = act.gradient_norms("relu", init)
        assert norms.max() / norms.min() < 10


def test_unknown_init_is_rejected():
    with pytest.raises(ValueError, match="unknown init"):
        act.deep_mlp("relu", "zeros")
