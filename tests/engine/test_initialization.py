"""The initialization experiment: per-layer statistics against closed forms, conventions, stepping, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_dl.engine.activations import get_activation
from tui_dl.engine.experiments import initialization as init
from tui_dl.engine.initializers import TRUNCATED_STD
from tui_dl.params import ParamError


def _run(*runs, seed=0, **sizes):
    return init.run(init.InitConfig(runs=tuple(runs), **sizes), np.random.default_rng(seed))


def _second_moment(snap):
    return snap.std**2 + snap.mean**2


def test_orthogonal_weights_keep_a_linear_net_exactly_at_its_input_scale():
    snap = _run(init.InitRun("orth", "orthogonal", "linear"), layers=20, width=50, samples=400)
    # an orthogonal matrix keeps every sample's norm, so the mean square is the input's at every layer
    moments = _second_moment(snap)[0]
    np.testing.assert_allclose(moments, moments[0], rtol=1e-10)
    assert moments[0] == pytest.approx(1.0, abs=0.02)
    # while N(0, 1/n) (LeCun, the textbook's "Xavier") drifts like a random product
    drift = _second_moment(_run(init.InitRun("lecun", "xavier_simple", "linear"), layers=20, width=50, samples=400))
    assert abs(math.log(drift[0, -1] / drift[0, 0])) > 1e-3


def _expected_saturation(x, margin=init.SATURATION_MARGIN):
    """E[share of sigmoid(z) within margin of 0 or 1], z | x ~ N(0, |x|^2) for N(0, 1) weights."""
    cut = math.log((1 - margin) / margin)
    norms = np.linalg.norm(x, axis=1)
    return np.mean([math.erfc(cut / (n * math.sqrt(2))) for n in norms])


def test_sigmoid_under_unit_normal_weights_saturates_as_predicted():
    state = init.step(init.init(init.InitConfig(runs=init.TEXTBOOK_RUNS), np.random.default_rng(3)), 10)
    snap = init.snapshot(state)
    # layer 1: given the input row x, every z = x . w is N(0, |x|^2)
    assert snap.saturated[0, 0] == pytest.approx(_expected_saturation(state.inputs), abs=0.01)
    assert snap.saturated[0, 0] == pytest.approx(0.697, abs=0.02)
    assert (snap.saturated[0] > 0.5).all()
    # the textbook's picture: N(0, 0.01) piles everything at 0.5, Xavier spreads it
    # z = x . w has std 0.01 |x|: 0.1 in layer 1, then 0.05 (inputs near 0.5), and sigmoid'(0) = 1/4
    assert (np.abs(snap.mean[1] - 0.5) < 0.01).all()
    assert snap.std[1, 0] == pytest.approx(0.025, rel=0.05)
    np.testing.assert_allclose(snap.std[1, 1:], 0.0125, rtol=0.1)
    assert (snap.saturated[1] == 0).all() and (snap.std[2] > 0.05).all()
    assert np.isnan(snap.dead).all()


def test_relu_keeps_its_second_moment_under_he_and_halves_it_under_xavier():
    he = init.InitRun("He", "he", "relu", convention="pytorch")
    xavier = init.InitRun("Xavier", "xavier", "relu", convention="pytorch")
    snap = _run(he, xavier, layers=10, width=500, samples=300)
    moments = _second_moment(snap)
    ratios = moments / np.c_[np.ones(2), moments[:, :-1]]  # layer 1 over the input's 1
    # E[relu(z)^2] = E[z^2] / 2 and E[z^2] = n var(w) E[a^2]: var 2/n keeps it, var 1/n halves it. Layer 1
    # sees an isotropic input, so its ratio is sharp; deeper layers wander by about 10% each (a random product).
    assert ratios[:, 0] == pytest.approx([1.0, 0.5], rel=0.02)
    assert np.exp(np.log(ratios).mean(axis=1)) == pytest.approx([1.0, 0.5], rel=0.1)
    assert ((ratios[0] > 0.75) & (ratios[0] < 1.3)).all() and ((ratios[1] > 0.4) & (ratios[1] < 0.6)).all()
    assert moments[0, -1] / moments[1, -1] > 2**10 / 3
    # layer 1 of He is relu(N(0, 2)): mean 1/sqrt(pi), std sqrt(1 - 1/pi)
    assert snap.mean[0, 0] == pytest.approx(1 / math.sqrt(math.pi), rel=0.02)
    assert snap.std[0, 0] == pytest.approx(math.sqrt(1 - 1 / math.pi), rel=0.02)
    np.testing.assert_allclose(snap.dead[:, 0], 0.5, atol=0.005)
    np.testing.assert_allclose(snap.dead, 0.5, atol=0.05)
    np.testing.assert_allclose(snap.weight_std, [[math.sqrt(2 / 500)] * 10, [math.sqrt(1 / 500)] * 10], rtol=0.01)


def test_gradients_vanish_for_sigmoid_under_tiny_weights():
    snap = _run(init.InitRun("N(0,0.01)", "normal", "sigmoid", {"std": 0.01}), layers=6, width=100, samples=500)
    # z ~ 0, so sigmoid' = 1/4 and each layer down scales the backward signal by 1/4 * 0.01 * sqrt(100)
    ratios = snap.grad_norm[0, 1:-1] / snap.grad_norm[0, 2:]
    np.testing.assert_allclose(ratios, 0.025, rtol=0.2)
    assert snap.grad_norm[0, 0] < 1e-6 * snap.grad_norm[0, -1]


def _forward_loss(x, weights, biases, activation):
    a = x
    for w, b in zip(weights, biases, strict=True):
        a = activation.forward(a @ w + b)
    return 0.5 * (a**2).sum() / len(x)


@pytest.mark.parametrize("name", ["tanh", "relu", "sigmoid", "elu"])
def test_gradient_norms_match_finite_differences(name):
    config = init.InitConfig(runs=(init.InitRun("r", "he", name, convention="pytorch"),), layers=3, width=10,
                             samples=6, bias=True)
    state = init.step(init.init(config, np.random.default_rng(1)), init.total_steps(config))
    activation = get_activation(name)
    weights, biases = state.weights[0].copy(), state.biases[0]
    h = 1e-6
    for layer in range(3):
        grad = np.empty((10, 10))
        for i, j in np.ndindex(10, 10):
            weights[layer, i, j] += h
            up = _forward_loss(state.inputs, weights, biases, activation)
            weights[layer, i, j] -= 2 * h
            down = _forward_loss(state.inputs, weights, biases, activation)
            weights[layer, i, j] += h
            grad[i, j] = (up - down) / (2 * h)
        assert state.stats["grad_norm"][0, layer] == pytest.approx(np.linalg.norm(grad), rel=1e-5)


def test_conventions_map_textbook_names_to_each_frameworks_draw():
    runs = [init.InitRun(f"{name}/{c}", name, "linear", convention=c)
            for name in ("xavier", "he", "lecun") for c in ("keras", "pytorch")]
    config = init.InitConfig(runs=tuple(runs), layers=2, width=200, samples=10)
    state = init.init(config, np.random.default_rng(0))
    snap = init.snapshot(state)
    assert snap.initializers == ("glorot_normal", "xavier_normal", "he_normal", "kaiming_normal",
                                 "lecun_normal", "kaiming_normal")
    assert snap.conventions == ("keras", "pytorch") * 3
    stds = [math.sqrt(2 / 400), math.sqrt(2 / 200), math.sqrt(1 / 200)]
    for r, std in enumerate(np.repeat(stds, 2)):
        w = state.weights[r]
        assert w.std() == pytest.approx(std, rel=0.01)  # the same std in both frameworks
        cut = 2 * std / TRUNCATED_STD
        if r % 2 == 0:  # Keras: a truncated normal, nothing beyond 2 raw sigmas
            assert np.abs(w).max() <= cut
        else:  # PyTorch: a plain normal, 2.3% beyond the same cut
            assert np.mean(np.abs(w) > cut) == pytest.approx(math.erfc(2 / TRUNCATED_STD / math.sqrt(2)), rel=0.1)


def test_aliases_and_engine_names():
    assert init.resolve_initializer("glorot", convention="keras").initializer == "glorot_normal"
    assert init.resolve_initializer("kaiming", convention="pytorch").initializer == "kaiming_normal"
    resolved = init.resolve_initializer("normal_0.01", convention="keras")
    assert (resolved.initializer, resolved.params["stddev"]) == ("random_normal", 0.01)
    assert resolved.code == "keras.initializers.RandomNormal(stddev=0.01)"
    assert init.resolve_initializer("xavier", {"gain": 2.0}, "pytorch").params == {"gain": 2.0}
    # engine names keep their own framework unless told otherwise
    assert init.resolve_initializer("kaiming_uniform").convention == "pytorch"
    assert init.resolve_initializer("he_normal").convention == "keras"
    assert init.resolve_initializer("xavier_simple").convention == "keras"
    assert init.resolve_initializer("he_normal", convention="pytorch").initializer == "he_normal"
    with pytest.raises(ParamError, match=r"unknown initializer 'he'.*textbook name: give a convention"):
        init.resolve_initializer("he")
    with pytest.raises(ParamError, match="unknown parameter 'gain' for initializer 'glorot_normal'"):
        init.resolve_initializer("xavier", {"gain": 2.0}, "keras")
    with pytest.raises(ParamError, match="bad value 'jax' for convention"):
        init.resolve_initializer("xavier", convention="jax")


def test_biases_follow_the_convention():
    runs = (init.InitRun("keras", "zeros", "linear", convention="keras"),
            init.InitRun("torch", "zeros", "linear", convention="pytorch"))
    config = init.InitConfig(runs=runs, layers=3, width=400, samples=50, bias=True)
    state = init.step(init.init(config, np.random.default_rng(0)), 6)
    snap = init.snapshot(state)
    bound = 1 / math.sqrt(400)
    assert (state.biases[0] == 0).all()
    assert np.abs(state.biases[1]).max() <= bound and np.abs(state.biases[1]).max() > 0.99 * bound
    # zero weights: every layer outputs its bias, whose std is that of U(-b, b), b / sqrt(3)
    assert (snap.std[0] == 0).all()
    np.testing.assert_allclose(snap.std[1], bound / math.sqrt(3), rtol=0.1)
    assert (init.snapshot(init.init(init.InitConfig(runs=runs[1:], bias=False), np.random.default_rng(0))).weight_std
            == 0).all()


def test_the_pass_fills_in_layer_by_layer_then_gradients_from_the_top():
    config = init.InitConfig(layers=4, width=20, samples=50)
    state = init.init(config, np.random.default_rng(0))
    empty = init.snapshot(state)
    assert empty.layers_done == 0 and np.isnan(empty.mean).all() and (empty.counts == 0).all()
    assert np.isfinite(empty.weight_std).all()
    snaps = [init.snapshot(init.step(state, 1)) for _ in range(8)]
    for k, snap in enumerate(snaps[:4], start=1):
        assert snap.layers_done == k and np.isfinite(snap.mean[:, :k]).all() and np.isnan(snap.mean[:, k:]).all()
        assert np.isnan(snap.grad_norm).all() and not snap.done
    for k, snap in enumerate(snaps[4:], start=1):
        assert snap.gradients_done == k
        assert np.isfinite(snap.grad_norm[:, 4 - k:]).all() and np.isnan(snap.grad_norm[:, : 4 - k]).all()
    assert snaps[-1].done and init.step(state, 5).step == 8  # nothing past the end
    whole = init.run(config, np.random.default_rng(0))
    for key in ("counts", "mean", "std", "saturated", "grad_norm", "below"):
        np.testing.assert_array_equal(getattr(whole, key), getattr(snaps[-1], key))
    assert not whole.mean.flags.writeable and snaps[0].step == 1  # earlier snapshots kept their values


def test_chunked_samples_give_the_same_statistics(monkeypatch):
    runs = (init.InitRun("a", "he", "relu", convention="keras"),
            init.InitRun("b", "xavier", "tanh", convention="keras"), init.InitRun("c", "normal", "sigmoid"))
    config = init.InitConfig(runs=runs, layers=3, width=30, samples=1500, bins=12)
    whole = init.run(config, np.random.default_rng(5))
    monkeypatch.setattr(init, "CHUNK_ELEMENTS", 3 * 30 * 7)  # 7 rows at a time, across the gradient batch edge
    chunked = init.run(config, np.random.default_rng(5))
    np.testing.assert_array_equal(chunked.counts, whole.counts)
    for key in ("mean", "std", "saturated", "dead", "below", "above", "grad_norm"):
        np.testing.assert_allclose(getattr(chunked, key), getattr(whole, key), rtol=1e-12, equal_nan=True)


def test_histograms_count_every_output_on_fixed_edges():
    runs = (init.InitRun("lin", "normal", "linear", {"std": 0.3}), init.InitRun("relu", "he_normal", "relu"),
            init.InitRun("sig", "normal", "sigmoid", {"std": 1.0}))
    config = init.InitConfig(runs=runs, layers=3, width=40, samples=200, bins=8)
    state = init.step(init.init(config, np.random.default_rng(2)), 6)
    snap = init.snapshot(state)
    np.testing.assert_array_equal(snap.edges[0], np.linspace(-4, 4, 9))
    np.testing.assert_array_equal(snap.edges[1], np.linspace(0, 4, 9))
    np.testing.assert_array_equal(snap.edges[2], np.linspace(0, 1, 9))
    total = 200 * 40
    np.testing.assert_allclose(snap.counts.sum(axis=2) / total + snap.below + snap.above, 1.0)
    # layer 1 of the linear run by np.histogram
    z = state.inputs @ state.weights[0, 0]
    counts, _ = np.histogram(z, snap.edges[0])
    np.testing.assert_array_equal(snap.counts[0, 0], counts)
    assert snap.below[0, 0] == np.mean(z < -4) and snap.above[0, 0] == np.mean(z > 4)
    assert snap.below[1, 0] == 0  # relu outputs are never below 0; dead ones sit in the first bin


@pytest.mark.parametrize("config, message", [
    (init.InitConfig(runs=()), "bad number of runs 0"),
    (init.InitConfig(runs=init.TEXTBOOK_RUNS * 3), "bad number of runs 9: expected 1 to 6"),
    (init.InitConfig(layers=21), "bad value '21' for layers"),
    (init.InitConfig(width=5), "bad value '5' for width"),
    (init.InitConfig(samples=20_000), "bad value '20000' for samples"),
    (init.InitConfig(runs=(init.InitRun("x", "he", "relu"),)), "unknown initializer 'he'"),
    (init.InitConfig(runs=(init.InitRun("x", "he", "relu", convention="keras"),)), None),
    (init.InitConfig(runs=(init.InitRun("x", "he_normal", "softsign"),)), "unknown activation 'softsign'"),
])
def test_bad_configurations_raise_param_errors(config, message):
    if message is None:
        init.init(config, np.random.default_rng(0))
        return
    with pytest.raises(ParamError, match=message):
        init.init(config, np.random.default_rng(0))
