"""Special functions NumPy lacks: a vectorized erf, for GELU's exact (PyTorch default) form.

NumPy has no erf and the engine may not use SciPy, so this is a port of fdlibm's s_erf.c (the Sun
code behind FreeBSD's, musl's and glibc's erf), evaluated with one index set per interval of the
original so each element takes the branch the C code would take, accurate to about 1 ulp.
The intervals are chosen on the high 32 bits of the double, exactly as in C, so the boundaries
(0.84375, 1.25, ~1/0.35, 6) fall on the same values.
"""

# The constants and the method below come from s_erf.c, which carries this notice:
#
# ====================================================
# Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
#
# Developed at SunPro, a Sun Microsystems, Inc. business.
# Permission to use, copy, modify, and distribute this
# software is freely granted, provided that this notice
# is preserved.
# ====================================================

from __future__ import annotations

from typing import Any

import numpy as np

# c = (float)0.84506291151: erf(1) rounded to single, so erx + P/Q adds a small correction only
ERX = 8.45062911510467529297e-01
# 2/sqrt(pi) - 1, and 8 times it: the first term of the series for |x| < 2**-28
EFX = 1.28379167095512586316e-01
EFX8 = 1.02703333676410069053e00

# Polynomial coefficients, constant term first. erf on [0, 0.84375]: erf(x) = x + x * PP(z) / QQ(z), z = x*x.
PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
      -5.77027029648944159157e-03, -2.37630166566501626084e-05)
QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
      1.32494738004321644526e-04, -3.96022827877536812320e-06)
# erf on [0.84375, 1.25]: erx + PA(s) / QA(s), s = |x| - 1
PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
      3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
      -2.16637559486879084300e-03)
QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
      1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
# erfc on [1.25, 1/0.35]: exp(-x*x - 0.5625 + RA(s) / SA(s)) / x, s = 1 / x^2
RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e01,
      -6.23753324503260060396e01, -1.62396669462573470355e02, -1.84605092906711035994e02,
      -8.12874355063065934246e01, -9.81432934416914548592e00)
SA = (1.0, 1.96512716674392571292e01, 1.37657754143519042600e02, 4.34565877475229228821e02,
      6.45387271733267880336e02, 4.29008140027567833386e02, 1.08635005541779435134e02,
      6.57024977031928170135e00, -6.04244152148580987438e-02)
# erfc on [1/0.35, 6]: as above with RB / SB
RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e01,
      -1.60636384855821916062e02, -6.37566443368389627722e02, -1.02509513161107724954e03,
      -4.83519191608651397019e02)
SB = (1.0, 3.03380607434824582924e01, 3.25792512996573918826e02, 1.53672958608443695994e03,
      3.19985821950859553908e03, 2.55305040643316442583e03, 4.74528541206955367215e02,
      -2.24409524465858183362e01)

# Interval limits on the high word of |x| (sign bit cleared), as s_erf.c writes them.
_TINY_SUBNORMAL = 0x00800000  # |x| < 2**-1015: scale up first so efx * x does not underflow
_TINY = 0x3E300000  # |x| < 2**-28: erf(x) = x + efx * x
_SMALL = 0x3FEB0000  # |x| < 0.84375
_MEDIUM = 0x3FF40000  # |x| < 1.25
_TAIL_SPLIT = 0x4006DB6E  # |x| < 1/0.35 (about 2.857) uses RA/SA, above RB/SB
_SATURATED = 0x40180000  # |x| >= 6 (and inf, nan): erf(x) = +-1 in double precision


def _horner(coefficients: tuple[float, ...], z: np.ndarray) -> np.ndarray:
    """The polynomial with these coefficients (constant first) at z, in s_erf.c's nesting order."""
    result = np.full_like(z, coefficients[-1])
    for c in reversed(coefficients[:-1]):  # a loop over the few coefficients, not over elements
        result = c + z * result
    return result


def _high_word(x: np.ndarray) -> np.ndarray:
    """The high 32 bits of each double without the sign, as fdlibm's GET_HIGH_WORD & 0x7fffffff."""
    return (x.view(np.uint64) >> np.uint64(32)).astype(np.int64) & 0x7FFFFFFF


def _clear_low_word(x: np.ndarray) -> np.ndarray:
    """x with its low 32 bits zeroed (SET_LOW_WORD(z, 0)): a short x whose square is exact."""
    return (x.view(np.uint64) & np.uint64(0xFFFFFFFF00000000)).view(np.float64)


def _erf_tiny(x: np.ndarray, ix: np.ndarray) -> np.ndarray:
    """|x| < 2**-28: one term of the series; the subnormal-range form avoids a spurious underflow."""
    return np.where(ix < _TINY_SUBNORMAL, 0.125 * (8.0 * x + EFX8 * x), x + EFX * x)


def _erf_small(x: np.ndarray, _ix: np.ndarray) -> np.ndarray:
    """2**-28 <= |x| < 0.84375: x + x * R(x^2)."""
    z = x * x
    return x + x * (_horner(PP, z) / _horner(QQ, z))


def _erf_medium(x: np.ndarray, _ix: np.ndarray) -> np.ndarray:
    """0.84375 <= |x| < 1.25: sign(x) (erx + P(s) / Q(s)) around x = 1."""
    s = np.abs(x) - 1.0
    return np.copysign(ERX + _horner(PA, s) / _horner(QA, s), x)


def _erfc_tail(x: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """erf(x) = sign(x) (1 - erfc(|x|)), erfc from the asymptotic form exp(-x^2 - 0.5625 + R/S) / |x|."""
    a = np.abs(x)
    z = _clear_low_word(a)
    # exp(-x^2) split as exp(-z^2) exp((z - x)(z + x)) so that no rounding error of x^2 enters
    r = np.exp(-z * z - 0.5625) * np.exp((z - a) * (z + a) + ratio)
    return np.copysign(1.0 - r / a, x)


def _erf_near_tail(x: np.ndarray, _ix: np.ndarray) -> np.ndarray:
    """1.25 <= |x| < 1/0.35: the tail form with RA / SA in s = 1 / x^2."""
    s = 1.0 / (x * x)
    return _erfc_tail(x, _horner(RA, s) / _horner(SA, s))


def _erf_far_tail(x: np.ndarray, _ix: np.ndarray) -> np.ndarray:
    """1/0.35 <= |x| < 6: the tail form with RB / SB in s = 1 / x^2."""
    s = 1.0 / (x * x)
    return _erfc_tail(x, _horner(RB, s) / _horner(SB, s))


# (low, high, fn): fn(x, ix) computes erf for the elements whose high word is in [low, high)
_BRANCHES = (
    (0, _TINY, _erf_tiny),
    (_TINY, _SMALL, _erf_small),
    (_SMALL, _MEDIUM, _erf_medium),
    (_MEDIUM, _TAIL_SPLIT, _erf_near_tail),
    (_TAIL_SPLIT, _SATURATED, _erf_far_tail),
)


def erf(x: Any) -> np.ndarray:
    """The error function, elementwise, to about 1 ulp (fdlibm's algorithm).

    Computed in float64; the result has x's floating dtype (float64 for integers), so float32 in
    gives float32 out, as the activations need. erf(+-inf) = +-1 and erf(nan) = nan.

    Args:
        x: array-like of any shape.

    Returns:
        erf(x), same shape as x.
    """
    x = np.asarray(x)
    shape = x.shape
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    x = np.asarray(x, dtype=np.float64).ravel()  # 1-d, so that a 0-d input indexes like any other
    ix = _high_word(x)
    out = np.copysign(np.ones_like(x), x)  # the |x| >= 6 and +-inf answer
    out[np.isnan(x)] = np.nan
    with np.errstate(under="ignore"):  # erf(x) ~ 1.128 x is subnormal for subnormal x: not an error
        for low, high, branch in _BRANCHES:  # five intervals, each evaluated on its own elements only
            index = np.flatnonzero((ix >= low) & (ix < high))  # take/put by index beat boolean masks
            if index.size:
                out[index] = branch(x.take(index), ix.take(index))
    return out.reshape(shape).astype(dtype, copy=False)


def erfinv(y: Any) -> np.ndarray:
    """The inverse error function on [-1, 1], elementwise, in float64 (torch's erfinv_ for trunc_normal_).

    Giles's (2010) approximation as a start, then Newton steps on the fdlibm erf above until they stop
    changing the result: accurate to a few ulp inside (-1, 1); +-1 give +-inf and |y| > 1 nan.
    """
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - y) * (1.0 + y))
        central, tail = w - 2.5, np.sqrt(w) - 3.0
        p_central = np.full_like(y, 2.81022636e-08)
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
                  0.246640727, 1.50140941):
            p_central = c + p_central * central
        p_tail = np.full_like(y, -0.000200214257)
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
                  1.00167406, 2.83297682):
            p_tail = c + p_tail * tail
        x = np.where(w < 5.0, p_central, p_tail) * y
        for _ in range(4):  # Newton on erf(x) = y: each step squares the relative error
            step = (erf(x) - y) / (2.0 / np.sqrt(np.pi) * np.exp(-x * x))
            x = np.where(np.isfinite(step), x - step, x)
        x = np.where(np.abs(y) == 1.0, np.copysign(np.inf, y), x)
        return np.where(np.abs(y) > 1.0, np.nan, x)
