"""The batched MLP: layout, finite-difference gradients, batched = alone, dropout, losses."""

from __future__ import annotations

import numpy as np
import pytest

from tui_dl.engine.gradcheck import numeric_gradient
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.engine.mlp import CLASSIFICATION, REGRESSION, dropout_masks, make_mlp
from tui_dl.params import ParamError

RUNS = 3
BATCH = 6


def rngs(count=RUNS, seed=0):
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def problem(task, activation="tanh", hidden=(5, 4), inputs=3, outputs=3, seed=1):
    """A float64 network with R runs, per-run mini-batches, targets, lambdas and fixed dropout masks."""
    model = make_mlp(inputs, hidden, outputs, activation, task=task)
    params = model.init_params(rngs(), "glorot_normal", dtype=np.float64)
    rng = np.random.default_rng(seed)
    params += 0.1 * rng.standard_normal(params.shape)  # non-zero biases, so their gradient is tested too
    x = rng.standard_normal((RUNS, BATCH, inputs))
    if task == CLASSIFICATION:
        y = rng.integers(0, outputs, (RUNS, BATCH))
    else:
        y = rng.standard_normal((RUNS, BATCH, outputs))
    masks = dropout_masks(rngs(seed=7), [0.0, 0.5, 0.25], BATCH, model.hidden, np.float64)
    return model, params, x, y, masks


L1 = np.array([0.0, 1e-2, 3e-2])
L2 = np.array([1e-2, 0.0, 5e-2])


# ------------------------------------------------------------------------------------- layout
def test_layout_kernels_first_then_biases_as_views():
    model = make_mlp(3, (5, 4), 2, "relu")
    assert model.n_kernel == 3 * 5 + 5 * 4 + 4 * 2
    assert model.n_params == model.n_kernel + 5 + 4 + 2
    params = np.zeros((2, model.n_params))
    kernels, biases = model.kernels(params), model.biases(params)
    assert [k.shape for k in kernels] == [(2, 3, 5), (2, 5, 4), (2, 4, 2)]
    assert [b.shape for b in biases] == [(2, 5), (2, 4), (2, 2)]
    kernels[1][1, 2, 3] = 7.0
    biases[2][0, 1] = 9.0
    assert params[1, 15 + 2 * 4 + 3] == 7.0
    assert params[0, model.n_params - 1] == 9.0
    assert np.count_nonzero(params) == 2


def test_init_draws_each_run_from_its_own_generator_with_zero_biases():
    model = make_mlp(4, (8,), 3, "relu")
    params = model.init_params(rngs(2, seed=5), "he_normal", dtype=np.float64)
    for r, rng in enumerate(rngs(2, seed=5)):
        expected = [INITIALIZERS["he_normal"](rng, shape) for shape in model.shapes]
        for got, want in zip(model.kernels(params), expected, strict=True):
            np.testing.assert_array_equal(got[r], want)
    assert not params[:, model.n_kernel:].any()
    assert model.init_params(rngs(1), dtype=np.float32).dtype == np.float32


def test_bad_shapes_and_tasks_are_param_errors():
    with pytest.raises(ParamError, match="layer sizes"):
        make_mlp(2, (0,), 2)
    with pytest.raises(ParamError, match="task"):
        make_mlp(2, (3,), 2, task="ranking")
    with pytest.raises(ParamError, match="activation"):
        make_mlp(2, (3,), 2, activation="nope")


# ------------------------------------------------------------------------------ gradient checks
@pytest.mark.parametrize("task", [CLASSIFICATION, REGRESSION])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "elu"])
def test_gradient_matches_finite_differences_with_l1_l2_and_dropout(task, activation):
    model, params, x, y, masks = problem(task, activation)
    analytic = model.loss_and_grad(params, x, y, l1=L1, l2=L2, masks=masks)

    def loss(p):
        return model.loss_and_grad(p, x, y, l1=L1, l2=L2, masks=masks).loss

    np.testing.assert_allclose(analytic.grads, numeric_gradient(loss, params), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(analytic.loss, analytic.data_loss + analytic.penalty)


def test_gradient_with_shared_input_and_no_hidden_layer():
    model = make_mlp(3, (), 2, task=REGRESSION)
    params = model.init_params(rngs(), dtype=np.float64)
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((BATCH, 3)), rng.standard_normal((BATCH, 2))
    analytic = model.loss_and_grad(params, x, y, l2=0.1)
    np.testing.assert_allclose(analytic.grads,
                               numeric_gradient(lambda p: model.loss_and_grad(p, x, y, l2=0.1).loss, params),
                               rtol=1e-6, atol=1e-9)


def test_penalties_are_keras_l1_and_squared_l2_on_kernels_only():
    model, params, *_ = problem(CLASSIFICATION)
    w = params[:, : model.n_kernel]
    expected = L1 * np.abs(w).sum(axis=1) + L2 * (w**2).sum(axis=1)
    np.testing.assert_allclose(model.penalty(params, L1, L2), expected, rtol=1e-12)
    biased = params.copy()
    biased[:, model.n_kernel:] += 100.0
    np.testing.assert_allclose(model.penalty(biased, L1, L2), expected, rtol=1e-12)


# ---------------------------------------------------------------------------- batched = alone
@pytest.mark.parametrize("task", [CLASSIFICATION, REGRESSION])
def test_batched_runs_equal_each_run_alone(task):
    model, params, x, y, masks = problem(task, "relu")
    together = model.loss_and_grad(params, x, y, l1=L1, l2=L2, masks=masks)
    for r in range(RUNS):
        alone = model.loss_and_grad(params[r:r + 1], x[r:r + 1], y[r:r + 1], l1=L1[r], l2=L2[r],
                                    masks=[m[r:r + 1] for m in masks])
        np.testing.assert_allclose(alone.grads[0], together.grads[r], rtol=1e-13, atol=1e-15)
        assert alone.loss[0] == pytest.approx(together.loss[r], rel=1e-14)


def test_each_runs_dropout_masks_do_not_depend_on_the_other_runs():
    together = dropout_masks(rngs(3, seed=4), [0.3, 0.0, 0.6], 5, (4, 2))
    generators = rngs(3, seed=4)
    for r, rate in enumerate([0.3, 0.0, 0.6]):
        alone = dropout_masks([generators[r]], [rate], 5, (4, 2))
        for a, b in zip(alone, together, strict=True):
            np.testing.assert_array_equal(np.ones_like(b[r:r + 1]) if a is None else a, b[r:r + 1])


# ------------------------------------------------------------------------------------ dropout
def test_dropout_keeps_one_minus_rate_scaled_so_the_expectation_is_unchanged():
    rates = [0.0, 0.2, 0.5]
    first, second = dropout_masks(rngs(seed=2), rates, 4000, (50, 30), np.float64)
    assert first.shape == (3, 4000, 50) and second.shape == (3, 4000, 30)
    for r, rate in enumerate(rates):
        values = np.concatenate([first[r].ravel(), second[r].ravel()])
        assert set(np.unique(values)) <= {0.0, 1.0 / (1.0 - rate)}
        assert np.mean(values == 0) == pytest.approx(rate, abs=0.005)
        assert values.mean() == pytest.approx(1.0, abs=0.01)  # inverted dropout: E[mask] = 1


def test_no_dropout_draws_nothing_and_evaluation_ignores_dropout():
    generators = rngs(2)
    assert dropout_masks(generators, 0.0, 4, (3, 3)) == [None, None]
    fresh = rngs(2)
    assert generators[0].random() == fresh[0].random()  # untouched
    model, params, x, _y, _masks = problem(CLASSIFICATION)
    out_plain, _ = model.forward(params, x)
    out_none, _ = model.forward(params, x, [None, None])
    np.testing.assert_array_equal(out_plain, out_none)


# ------------------------------------------------------------------------------------- losses
def test_softmax_cross_entropy_equals_the_direct_formula():
    model, params, x, y, _ = problem(CLASSIFICATION)
    out, _ = model.forward(params, x)
    loss, grad, correct = model.data_loss(out, y)
    probs = np.exp(out) / np.exp(out).sum(axis=2, keepdims=True)
    direct = -np.log(np.take_along_axis(probs, y[..., None], axis=2))[..., 0].mean(axis=1)
    np.testing.assert_allclose(loss, direct, rtol=1e-12)
    np.testing.assert_allclose(grad, (probs - np.eye(3)[y]) / BATCH, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(correct, (out.argmax(axis=2) == y).sum(axis=1))
    np.testing.assert_allclose(model.predict(params, x), probs, rtol=1e-12)


def test_cross_entropy_is_stable_for_huge_logits():
    model = make_mlp(1, (), 3)
    out = np.array([[[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]]])
    with np.errstate(all="raise"):
        loss, grad, correct = model.data_loss(out, np.array([[2, 1]]))
    assert loss[0] == pytest.approx(2000.0 / 2)  # sample 0 costs 2000, sample 1 costs ~0
    assert np.isfinite(grad).all() and correct[0] == 1


def test_mse_is_the_mean_over_samples_and_outputs():
    model, params, x, y, _ = problem(REGRESSION)
    out, _ = model.forward(params, x)
    loss, grad, _ = model.data_loss(out, y)
    np.testing.assert_allclose(loss, ((out - y) ** 2).mean(axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(grad, 2 * (out - y) / (BATCH * 3), rtol=1e-12)


def test_evaluate_in_chunks_equals_one_pass():
    model, params, *_ = problem(CLASSIFICATION)
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((50, 3)), rng.integers(0, 3, 50)
    loss, accuracy = model.evaluate(params, x, y, chunk=7)
    out, _ = model.forward(params, x)
    full, _, correct = model.data_loss(out, y, grad=False)
    np.testing.assert_allclose(loss, full, rtol=1e-12)
    np.testing.assert_allclose(accuracy, correct / 50)
    _, accuracy = make_mlp(3, (4,), 1, task=REGRESSION).evaluate(np.zeros((2, 21)), x, rng.standard_normal((50, 1)))
    assert np.isnan(accuracy).all()


def test_float32_stays_float32():
    model = make_mlp(3, (8,), 3)
    params = model.init_params(rngs(), "he_normal", dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((RUNS, 4, 3)).astype(np.float32)
    masks = dropout_masks(rngs(), 0.5, 4, model.hidden, np.float32)
    result = model.loss_and_grad(params, x, np.zeros((RUNS, 4), dtype=np.int64), l2=1e-3, masks=masks)
    assert result.grads.dtype == np.float32 and masks[0].dtype == np.float32


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_reused_workspace_gives_the_same_numbers_as_fresh_arrays(activation):
    model, params, x, y, masks = problem(CLASSIFICATION, activation)
    fresh = model.loss_and_grad(params, x, y, l1=L1, l2=L2, masks=masks)
    for _ in range(2):  # the second call overwrites the first one's buffers
        reused = model.loss_and_grad(params, x, y, l1=L1, l2=L2, masks=masks, reuse=True)
    np.testing.assert_array_equal(reused.grads, fresh.grads)
    np.testing.assert_array_equal(reused.loss, fresh.loss)
    assert reused.grads is model.workspace(RUNS, BATCH, np.float64).grads
    rng = np.random.default_rng(4)
    xs, ys = rng.standard_normal((30, 3)), rng.integers(0, 3, 30)
    for a, b in zip(model.evaluate(params, xs, ys, chunk=8, reuse=True), model.evaluate(params, xs, ys, chunk=8),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_dropout_masks_fill_a_given_buffer_with_ones_for_runs_without_dropout():
    out = np.full((3, 5, 6), 7.0, dtype=np.float32)
    masks = dropout_masks(rngs(), [0.0, 0.5, 0.0], 5, (4, 2), np.float32, out=out)
    assert masks[0].base is out or np.shares_memory(masks[0], out)
    np.testing.assert_array_equal(out[[0, 2]], 1.0)
    assert set(np.unique(out[1])) <= {0.0, 2.0}
