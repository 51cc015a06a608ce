"""Batch normalization in the batched MLP: layout, gradients, moving statistics, per-run selection."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from tui_dl.engine import batch_norm as bn
from tui_dl.engine.gradcheck import numeric_gradient
from tui_dl.engine.mlp import CLASSIFICATION, REGRESSION, dropout_masks, make_mlp
from tui_dl.params import ParamError

RUNS = 3
BATCH = 6
FLAGS = np.array([True, False, True])
L1 = np.array([0.0, 1e-2, 3e-2])
L2 = np.array([1e-2, 0.0, 5e-2])
EPS = 1e-3


def rngs(count=RUNS, seed=0):
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def problem(task=CLASSIFICATION, activation="tanh", hidden=(5, 4), inputs=3, outputs=3, seed=1, batch_norm=True,
            dtype=np.float64):
    """R runs with per-run mini-batches, targets and fixed dropout masks; every parameter non-trivial."""
    model = make_mlp(inputs, hidden, outputs, activation, task=task, batch_norm=batch_norm)
    params = model.init_params(rngs(), "glorot_normal", dtype=dtype)
    rng = np.random.default_rng(seed)
    params += (0.1 * rng.standard_normal(params.shape)).astype(dtype)  # gammas != 1, betas and biases != 0
    x = rng.standard_normal((RUNS, BATCH, inputs)).astype(dtype)
    if task == CLASSIFICATION:
        y = rng.integers(0, outputs, (RUNS, BATCH))
    else:
        y = rng.standard_normal((RUNS, BATCH, outputs)).astype(dtype)
    masks = dropout_masks(rngs(seed=7), [0.0, 0.5, 0.25], BATCH, model.hidden, dtype)
    return model, params, x, y, masks


def plain_twin(model, params):
    """The same network without batch-normalization slots, with the same kernels and biases."""
    plain = make_mlp(model.sizes[0], model.hidden, model.sizes[-1], model.activation.name, task=model.task)
    return plain, np.ascontiguousarray(params[:, : model.n_dense])


def reference_forward(model, params, x, flags, moving=None, masks=None):
    """Each run on its own, written out: Dense -> (x - mean) / sqrt(var + eps) * gamma + beta -> activation -> mask."""
    outputs, means, variances = [], [], []
    for r in range(params.shape[0]):
        a = x[r]
        run_means, run_vars = [], []
        for layer, (w, b) in enumerate(zip(model.kernels(params), model.biases(params), strict=True)):
            z = a @ w[r] + b[r]
            if layer == len(model.hidden):
                break
            mean, var = z.mean(axis=0), z.var(axis=0)  # biased variance
            run_means.append(mean)
            run_vars.append(var)
            if flags[r]:
                if moving is not None:
                    mean, var = (model.layer_units(stats)[layer][r] for stats in moving)
                z = (z - mean) / np.sqrt(var + EPS) * model.gammas(params)[layer][r] + model.betas(params)[layer][r]
            a = model.activation.forward(z)
            if masks is not None:
                a = a * masks[layer][r]
        outputs.append(z)
        means.append(np.concatenate(run_means))
        variances.append(np.concatenate(run_vars))
    return np.array(outputs), np.array(means), np.array(variances)


# ------------------------------------------------------------------------------------- layout
def test_gammas_and_betas_follow_the_biases_and_start_at_keras_values():
    model = make_mlp(3, (5, 4), 2, "relu", batch_norm=True)
    plain = make_mlp(3, (5, 4), 2, "relu")
    assert model.n_kernel == plain.n_kernel and model.n_dense == plain.n_params
    assert model.n_params == plain.n_params + 2 * (5 + 4)
    params = model.init_params(rngs(2), "he_normal", dtype=np.float64)
    np.testing.assert_array_equal(params[:, : model.n_dense], plain.init_params(rngs(2), "he_normal", dtype=np.float64))
    assert [g.shape for g in model.gammas(params)] == [(2, 5), (2, 4)]
    assert [b.shape for b in model.betas(params)] == [(2, 5), (2, 4)]
    np.testing.assert_array_equal(params[:, model.n_dense:model.n_dense + 9], 1.0)  # gammas: ones
    np.testing.assert_array_equal(params[:, model.n_dense + 9:], 0.0)  # betas: zeros
    model.betas(params)[1][1, 3] = 7.0
    assert params[1, -1] == 7.0
    moving = model.init_moving(2, np.float64)
    assert moving.mean.shape == moving.variance.shape == (2, 9)
    assert not moving.mean.any() and (moving.variance == 1).all()
    assert plain.gammas(params) == [] and plain.betas(params) == []


def test_penalty_stays_on_the_kernels_only():
    model, params, *_ = problem()
    before = model.penalty(params, L1, L2)
    params[:, model.n_kernel:] += 5.0  # biases, gammas and betas
    np.testing.assert_array_equal(model.penalty(params, L1, L2), before)


def test_batch_norm_flags_need_a_model_with_gammas_and_betas_and_evaluation_needs_moving():
    model, params, x, y, _ = problem(batch_norm=False)
    with pytest.raises(ParamError, match="batch_norm=True"):
        model.loss_and_grad(params, x, y, batch_norm=FLAGS)
    model.loss_and_grad(params, x, y, batch_norm=False)  # no run normalizes: fine
    model, params, x, y, _ = problem()
    with pytest.raises(ParamError, match="moving"):
        model.forward(params, x, batch_norm=FLAGS)
    with pytest.raises(ParamError, match="moving"):
        model.evaluate(params, x[0], y[0])  # default: every run of a batch_norm model normalizes


# ------------------------------------------------------------------------------ gradient checks
@pytest.mark.parametrize("task", [CLASSIFICATION, REGRESSION])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "elu"])
def test_gradient_of_every_parameter_matches_finite_differences(task, activation):
    """Kernels, biases, gammas and betas; BN on runs 0 and 2, off on run 1; dropout masks and L1/L2 held."""
    model, params, x, y, masks = problem(task, activation)

    def loss(p):
        return model.loss_and_grad(p, x, y, l1=L1, l2=L2, masks=masks, batch_norm=FLAGS).loss

    analytic = model.loss_and_grad(params, x, y, l1=L1, l2=L2, masks=masks, batch_norm=FLAGS)
    np.testing.assert_allclose(analytic.grads, numeric_gradient(loss, params), rtol=1e-5, atol=1e-8)
    assert not analytic.grads[1, model.n_dense:].any()  # run 1's gammas and betas: exactly zero
    assert np.abs(analytic.grads[0, model.n_dense:]).max() > 1e-3  # the others' are real


def test_gradient_with_every_run_normalizing_and_a_shared_input():
    model, params, _x, y, _ = problem(REGRESSION, "relu", hidden=(4,))
    x = np.random.default_rng(5).standard_normal((BATCH, 3))

    def loss(p):
        return model.loss_and_grad(p, x, y, l2=0.1).loss

    analytic = model.loss_and_grad(params, x, y, l2=0.1)  # default flags: every run of a batch_norm model
    np.testing.assert_allclose(analytic.grads, numeric_gradient(loss, params), rtol=1e-5, atol=1e-8)
    first_bias = analytic.grads[:, model._bias_slices[0]]
    assert np.abs(first_bias).max() < 1e-12  # a bias before batch normalization has no effect


# ----------------------------------------------------------------------------- forward passes
def test_training_mode_normalizes_with_the_batch_mean_and_biased_variance():
    model, params, x, _y, _ = problem(activation="relu")
    out, _ = model.forward(params, x, batch_norm=FLAGS, training=True)
    expected, means, variances = reference_forward(model, params, x, FLAGS)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    result = model.loss_and_grad(params, x, np.zeros((RUNS, BATCH), dtype=int), batch_norm=FLAGS)
    np.testing.assert_allclose(result.moments.mean[FLAGS], means[FLAGS], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.moments.variance[FLAGS], variances[FLAGS], rtol=1e-12, atol=1e-15)


def test_moving_statistics_update_is_kerass_formula_in_the_normalizing_runs_only():
    model, params, x, y, masks = problem()
    moving = model.init_moving(RUNS, np.float64)
    rng = np.random.default_rng(3)
    moving.mean[:] = rng.standard_normal(moving.mean.shape)
    moving.variance[:] = rng.uniform(0.5, 2.0, moving.variance.shape)
    before = bn.Moments(moving.mean.copy(), moving.variance.copy())
    result = model.loss_and_grad(params, x, y, masks=masks, batch_norm=FLAGS, moving=moving)
    _, means, variances = reference_forward(model, params, x, FLAGS, masks=masks)
    for got, old, batch in ((moving.mean, before.mean, means), (moving.variance, before.variance, variances)):
        np.testing.assert_allclose(got[FLAGS], old[FLAGS] * 0.99 + batch[FLAGS] * (1 - 0.99), rtol=1e-12)
        np.testing.assert_array_equal(got[~FLAGS], old[~FLAGS])  # run 1 does not normalize
    np.testing.assert_allclose(result.moments.mean[FLAGS], means[FLAGS], rtol=1e-12, atol=1e-15)
    # `update` freezes runs: run 2 keeps its statistics
    frozen = bn.Moments(moving.mean.copy(), moving.variance.copy())
    model.loss_and_grad(params, x, y, batch_norm=FLAGS, moving=moving, update=[True, True, False])
    np.testing.assert_array_equal(moving.mean[2], frozen.mean[2])
    assert not np.array_equal(moving.mean[0], frozen.mean[0])


def test_moving_update_rounds_like_float32_variables():
    moving = bn.moving_init(1, 4, np.float32)
    batch = bn.Moments(np.float32([[0.1, -2.5, 3.0, 1e-3]]), np.float32([[0.5, 2.0, 1e-4, 7.0]]))
    bn.update_moving(moving, batch)
    expected_mean = np.float32(0.0) * np.float32(0.99) + batch.mean * np.float32(1 - 0.99)
    expected_var = np.float32(1.0) * np.float32(0.99) + batch.variance * np.float32(1 - 0.99)
    assert moving.mean.dtype == np.float32
    np.testing.assert_array_equal(moving.mean, expected_mean)
    np.testing.assert_array_equal(moving.variance, expected_var)


def test_evaluation_uses_the_moving_statistics():
    model, params, x, y, _ = problem(activation="tanh")
    moving = model.init_moving(RUNS, np.float64)
    rng = np.random.default_rng(8)
    moving.mean[:] = rng.standard_normal(moving.mean.shape)
    moving.variance[:] = rng.uniform(0.5, 2.0, moving.variance.shape)
    out, _ = model.forward(params, x, batch_norm=FLAGS, moving=moving)
    expected, *_ = reference_forward(model, params, x, FLAGS, moving)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    training, _ = model.forward(params, x, batch_norm=FLAGS, training=True)
    assert not np.allclose(out[0], training[0])
    # evaluation treats every sample on its own: one at a time gives the same outputs
    single, _ = model.forward(params, x[:, :1], batch_norm=FLAGS, moving=moving)
    np.testing.assert_allclose(single[:, 0], out[:, 0], rtol=1e-13)
    # evaluate and predict are the same evaluation mode
    shared = x[0]
    loss, _ = model.evaluate(params, shared, y[0], chunk=4, batch_norm=FLAGS, moving=moving)
    logits, _ = model.forward(params, shared, batch_norm=FLAGS, moving=moving)
    np.testing.assert_allclose(loss, model.data_loss(logits, y[0], grad=False)[0], rtol=1e-12)
    probs = model.predict(params, shared, batch_norm=FLAGS, moving=moving)
    np.testing.assert_allclose(probs, np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True), rtol=1e-12)


def test_a_constant_feature_is_normalized_to_beta_without_dividing_by_zero():
    model = make_mlp(2, (3,), 2, "relu", batch_norm=True)
    params = model.init_params(rngs(1), dtype=np.float64)
    model.betas(params)[0][:] = [0.5, -0.5, 2.0]
    x = np.ones((1, 4, 2))  # identical samples: zero variance
    with np.errstate(all="raise"):
        result = model.loss_and_grad(params, x, np.zeros((1, 4), dtype=int))
    assert np.isfinite(result.grads).all()
    np.testing.assert_array_equal(result.moments.variance, 0.0)


# ------------------------------------------------------------------------- runs are independent
@pytest.mark.parametrize("task", [CLASSIFICATION, REGRESSION])
def test_each_run_computes_the_same_alone_as_in_the_batch(task):
    model, params, x, y, masks = problem(task, "relu")
    moving = model.init_moving(RUNS, np.float64)
    together = model.loss_and_grad(params, x, y, l1=L1, l2=L2, masks=masks, batch_norm=FLAGS, moving=moving)
    evaluated, _ = model.forward(params, x, batch_norm=FLAGS, moving=moving)
    for r in range(RUNS):
        alone_moving = model.init_moving(1, np.float64)
        alone = model.loss_and_grad(params[r:r + 1], x[r:r + 1], y[r:r + 1], l1=L1[r], l2=L2[r],
                                    masks=[m[r:r + 1] for m in masks], batch_norm=FLAGS[r], moving=alone_moving)
        np.testing.assert_allclose(alone.grads[0], together.grads[r], rtol=1e-13, atol=1e-15)
        assert alone.loss[0] == pytest.approx(together.loss[r], rel=1e-14)
        np.testing.assert_array_equal(alone_moving.mean[0], moving.mean[r])
        np.testing.assert_array_equal(alone_moving.variance[0], moving.variance[r])
        out, _ = model.forward(params[r:r + 1], x[r:r + 1], batch_norm=FLAGS[r], moving=alone_moving)
        np.testing.assert_allclose(out[0], evaluated[r], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_runs_without_batch_norm_compute_todays_numbers_bit_for_bit(activation, dtype):
    model, params, x, y, masks = problem(REGRESSION, activation, dtype=dtype)
    plain, plain_params = plain_twin(model, params)
    today = plain.loss_and_grad(plain_params, x, y, l1=L1, l2=L2, masks=masks)
    moving = model.init_moving(RUNS, dtype)
    for flags in (FLAGS, False, [False] * RUNS):
        mixed = model.loss_and_grad(params, x, y, l1=L1, l2=L2, masks=masks, batch_norm=flags, moving=moving)
        off = ~np.broadcast_to(np.asarray(flags, bool), (RUNS,))
        np.testing.assert_array_equal(mixed.grads[off, : model.n_dense], today.grads[off])
        np.testing.assert_array_equal(mixed.grads[off, model.n_dense:], 0.0)
        np.testing.assert_array_equal(mixed.loss[off], today.loss[off])
    assert mixed.moments is None  # no run normalizes
    evaluated, _ = model.forward(params, x, batch_norm=FLAGS, moving=moving)
    np.testing.assert_array_equal(evaluated[~FLAGS], plain.forward(plain_params, x)[0][~FLAGS])


def test_a_model_with_batch_norm_slots_but_no_normalizing_run_is_the_plain_model():
    model, params, x, y, masks = problem(CLASSIFICATION, "relu")
    plain, plain_params = plain_twin(model, params)
    got = model.loss_and_grad(params, x, y, l2=L2, masks=masks, batch_norm=False, reuse=True)
    want = plain.loss_and_grad(plain_params, x, y, l2=L2, masks=masks)
    np.testing.assert_array_equal(got.grads[:, : model.n_dense], want.grads)
    np.testing.assert_array_equal(got.grads[:, model.n_dense:], 0.0)  # the reused buffer is cleared too


# ----------------------------------------------------------------------------- the fast path
@pytest.mark.parametrize("flags", [FLAGS, np.ones(RUNS, bool)])
def test_reused_workspace_gives_the_same_numbers_as_fresh_arrays(flags):
    model, params, x, y, masks = problem(CLASSIFICATION, "tanh")
    fresh_moving, reused_moving = model.init_moving(RUNS, np.float64), model.init_moving(RUNS, np.float64)
    fresh = model.loss_and_grad(params, x, y, l1=L1, l2=L2, masks=masks, batch_norm=flags, moving=fresh_moving)
    for moving in (model.init_moving(RUNS, np.float64), reused_moving):  # the second call overwrites the first's
        reused = model.loss_and_grad(params, x, y, l1=L1, l2=L2, masks=masks, batch_norm=flags, moving=moving,
                                     reuse=True)
    np.testing.assert_array_equal(reused.grads, fresh.grads)
    np.testing.assert_array_equal(reused.loss, fresh.loss)
    np.testing.assert_array_equal(reused.moments.variance, fresh.moments.variance)
    np.testing.assert_array_equal(reused_moving.mean, fresh_moving.mean)
    rng = np.random.default_rng(4)
    xs, ys = rng.standard_normal((30, 3)), rng.integers(0, 3, 30)
    for a, b in zip(model.evaluate(params, xs, ys, chunk=8, batch_norm=flags, moving=fresh_moving, reuse=True),
                    model.evaluate(params, xs, ys, chunk=8, batch_norm=flags, moving=fresh_moving), strict=True):
        np.testing.assert_array_equal(a, b)


def peak_bytes(step):
    step()
    step()  # buffers exist from here on
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_reused_training_step_allocates_no_more_than_without_batch_norm():
    runs, batch, width = 4, 64, 32
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((runs, batch, 8)).astype(np.float32), rng.integers(0, 3, (runs, batch))
    model = make_mlp(8, (width, width), 3, "relu", batch_norm=True)
    params = model.init_params(rngs(runs), dtype=np.float32)
    plain, plain_params = plain_twin(model, params)
    moving = model.init_moving(runs)
    flags = np.array([True, False, True, True])

    def normalized():
        model.loss_and_grad(params, x, y, l2=1e-3, batch_norm=flags, moving=moving, reuse=True)
        model.evaluate(params, x[0], y[0], batch_norm=flags, moving=moving, reuse=True)

    def today():
        plain.loss_and_grad(plain_params, x, y, l2=1e-3, reuse=True)
        plain.evaluate(plain_params, x[0], y[0], reuse=True)

    layer = runs * batch * width * 4  # one (R, B, H) float32 array
    assert peak_bytes(normalized) < peak_bytes(today) + layer // 4
