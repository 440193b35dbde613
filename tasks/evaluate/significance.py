"""Is a per-query difference between two runs real? A paired sign-flip permutation test.

Exact over every sign flip when few queries differ, seeded sampling above; the p-value of
each metric in a comparison (`tasks.evaluate.compare`) comes from here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from tasks.evaluate.metrics import NDCG_EPS

DEFAULT_N_RESAMPLES = 10_000
# Per-query differences within this are float noise (ndcg summation order), i.e. ties.
TIE_EPS = NDCG_EPS
# Up to this many non-tied differences the test enumerates every sign flip (2**16 sums).
EXACT_MAX_N = 16
# Sampled sign flips are drawn in batches of at most this many cells (doubles).
_MAX_BATCH_CELLS = 4_000_000
# Flip sums within this of the observed |sum| are as extreme (float summation order).
_SUM_TOL = 1e-9


def format_p(p: float) -> str:
    """A p-value as reports and gate messages write it: 3 decimals, scientific below 0.001."""
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _flip_sums(diffs: np.ndarray) -> np.ndarray:
    """The sum of the differences under each of the 2**n sign assignments (doubling: each
    difference adds itself to one copy of the sums so far and subtracts from the other)."""
    sums = np.zeros(1)
    for d in diffs:
        sums = np.concatenate((sums + d, sums - d))
    return sums


def _sampled_flip_sums(diffs: np.ndarray, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Sums under n_resamples random sign assignments, in batches that bound memory."""
    rng = np.random.default_rng(seed)
    batch = max(1, _MAX_BATCH_CELLS // diffs.size)
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        signs = 1.0 - 2.0 * rng.integers(0, 2, size=(size, diffs.size))
        yield signs @ diffs


def paired_permutation_pvalue(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    seed: int = 0,
    n_resamples: int = DEFAULT_N_RESAMPLES,
) -> float:
    """Two-sided p-value of the paired randomization test of mean(b - a) = 0.

    Why a sign-flip permutation test: per-query IR metrics are bounded, discrete and heavily
    tied (hit_rate is 0/1, recall takes a few values), so the t-test's normality is a poor
    fit on small query sets; under the null that A and B are exchangeable per query, each
    difference's sign is a fair coin. It is the test Smucker et al. (CIKM 2007) recommend for
    IR. A bootstrap CI of the mean would also work but is anti-conservative on few queries.

    p is the share of sign assignments whose |sum| is at least the observed |sum| (mean is
    sum / n, a fixed rescaling). Exact over all 2**n assignments of the n non-tied differences
    when n <= EXACT_MAX_N or 2**n <= n_resamples (so one differing query gives 1.0, as it
    must: its two signs are equally extreme); above, n_resamples seeded draws, with p =
    (hits + 1) / (n_resamples + 1), which never reports 0 for a sampled test.
    """
    diffs = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if diffs.ndim != 1 or np.shape(a) != np.shape(b):
        raise ValueError(f"need two equal-length 1-d samples, got {np.shape(a)} and {np.shape(b)}")
    if diffs.size == 0:
        raise ValueError("need at least one paired value")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    # Ties (and float noise) contribute 0 whichever their sign: dropping them leaves p
    # unchanged and cuts the cost (IR runs tie on most queries).
    diffs = diffs[np.abs(diffs) > TIE_EPS]
    if diffs.size == 0:
        return 1.0
    # Sums that differ by float rounding alone (summation order) count as equally extreme.
    threshold = abs(float(diffs.sum())) - _SUM_TOL
    if diffs.size <= EXACT_MAX_N or 2**diffs.size <= n_resamples:
        return float(np.mean(np.abs(_flip_sums(diffs)) >= threshold))
    hits = sum(
        int(np.count_nonzero(np.abs(s) >= threshold))
        for s in _sampled_flip_sums(diffs, n_resamples, seed)
    )
    return min(1.0, (hits + 1) / (n_resamples + 1))
