"""The paired sign-flip permutation test: a textbook example, exact enumeration against brute
force, and seeded sampling above the enumeration cap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from tasks.evaluate.significance import EXACT_MAX_N, format_p, paired_permutation_pvalue

# Darwin's Zea mays heights (eighths of an inch), cross- vs self-fertilised pairs, as
# analysed by Fisher (The Design of Experiments, 1935, section 21): 863 of the 2**15 sign
# assignments give a sum of differences >= the observed 314, so the exact two-sided p-value
# is 2 * 863 / 32768 = 0.0527.
ZEA_CROSSED = [188, 96, 168, 176, 153, 172, 177, 163, 146, 173, 186, 168, 177, 184, 96]
ZEA_SELF = [139, 163, 160, 160, 147, 149, 149, 122, 132, 144, 130, 144, 102, 124, 144]


def exact_sign_flip_p(diffs: Sequence[float]) -> float:
    """Two-sided p of the mean difference by enumerating all 2**n sign assignments."""
    d = np.asarray(diffs, dtype=float)
    bits = (np.arange(2**d.size)[:, None] >> np.arange(d.size)) & 1
    means = ((1 - 2 * bits) * d).mean(axis=1)
    return float(np.mean(np.abs(means) >= abs(d.mean()) - 1e-12))


def test_permutation_test_matches_fisher_zea_mays() -> None:
    diffs = np.subtract(ZEA_CROSSED, ZEA_SELF)
    exact = exact_sign_flip_p(diffs)
    assert exact == pytest.approx(2 * 863 / 2**15, abs=1e-12)
    # 15 differing pairs <= EXACT_MAX_N: every flip is enumerated, whatever n_resamples says.
    for n_resamples in (1, 10_000):
        p = paired_permutation_pvalue(ZEA_SELF, ZEA_CROSSED, seed=1, n_resamples=n_resamples)
        assert p == pytest.approx(exact, abs=1e-12)
    # Tied pairs change nothing: enumerated over all 2**18 flips, p is the same.
    tied = [150, 150, 150]
    assert exact_sign_flip_p([*diffs, 0, 0, 0]) == pytest.approx(exact, abs=1e-12)
    padded = paired_permutation_pvalue(ZEA_SELF + tied, ZEA_CROSSED + tied)
    assert padded == pytest.approx(exact, abs=1e-12)


def test_permutation_test_exact_small_sample_seeded_and_symmetric() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.random(9), rng.random(9)
    exact = exact_sign_flip_p(b - a)
    assert paired_permutation_pvalue(a, b) == pytest.approx(exact, abs=1e-12)
    assert paired_permutation_pvalue(b, a) == pytest.approx(exact, abs=1e-12)
    c, d = rng.random(40), rng.random(40) + 0.1
    p1 = paired_permutation_pvalue(c, d, seed=3, n_resamples=2000)
    assert p1 == paired_permutation_pvalue(c, d, seed=3, n_resamples=2000)
    assert paired_permutation_pvalue(c, c + 1e-12) == 1.0  # float noise is a tie


@pytest.mark.parametrize(
    ("diffs", "expected"),
    [
        # One differing query: both signs are as extreme as the observed one.
        ([1.0], 1.0),
        ([-0.2], 1.0),
        # Two: flips give sums +-1.5 and +-0.5, two of four reach |1.5|.
        ([1.0, 0.5], 0.5),
        ([1.0, 1.0], 0.5),
        # Cancelling differences: observed sum 0, every flip is as extreme.
        ([1.0, -1.0], 1.0),
        # Three equal drops: only all-same-sign flips reach |3|, 2 of 8.
        ([-1.0, -1.0, -1.0], 0.25),
    ],
)
def test_permutation_test_one_two_three_differences(diffs: list[float], expected: float) -> None:
    # Per-query metrics as IR runs have them: mostly ties, a few queries differ.
    a = np.full(len(diffs) + 5, 0.5)
    b = a.copy()
    b[: len(diffs)] += diffs
    assert exact_sign_flip_p(diffs) == pytest.approx(expected, abs=1e-12)
    assert paired_permutation_pvalue(a, b) == pytest.approx(expected, abs=1e-12)
    assert paired_permutation_pvalue(b, a) == pytest.approx(expected, abs=1e-12)


def test_permutation_test_exact_by_brute_force_up_to_the_cap() -> None:
    rng = np.random.default_rng(7)
    for n in (*range(1, 13), EXACT_MAX_N):
        # Graded values (thirds, quarters) tie on some flip sums: the float tolerance counts.
        diffs = rng.choice([-1, -2 / 3, -0.5, -1 / 3, -0.25, 0.25, 1 / 3, 0.5, 1], size=n)
        a = rng.random(n)
        assert paired_permutation_pvalue(a, a + diffs, n_resamples=1) == pytest.approx(
            exact_sign_flip_p(diffs), abs=1e-12
        ), n


def test_permutation_test_samples_above_the_cap() -> None:
    rng = np.random.default_rng(9)
    n = EXACT_MAX_N + 2
    diffs = rng.normal(0.1, 0.3, size=n)
    exact = exact_sign_flip_p(diffs)
    zeros = np.zeros(n)
    sampled = paired_permutation_pvalue(zeros, diffs, seed=4, n_resamples=20_000)
    # Monte Carlo: within ~5 standard errors of the exact value, seeded, never 0.
    assert sampled == pytest.approx(exact, abs=5 * np.sqrt(exact * (1 - exact) / 20_000) + 1e-4)
    assert sampled == paired_permutation_pvalue(zeros, diffs, seed=4, n_resamples=20_000)
    assert sampled != paired_permutation_pvalue(zeros, diffs, seed=5, n_resamples=20_000)
    far = paired_permutation_pvalue(zeros, np.abs(diffs) + 1, n_resamples=100)
    assert far == pytest.approx(1 / 101)
    # 2**n within n_resamples: enumerated even above the cap.
    assert paired_permutation_pvalue(zeros, diffs, n_resamples=2**n) == pytest.approx(
        exact, abs=1e-12
    )


def test_format_p() -> None:
    assert [format_p(p) for p in (1.0, 0.05, 0.001, 0.00061)] == [
        "1.000",
        "0.050",
        "0.001",
        "6.1e-04",
    ]
