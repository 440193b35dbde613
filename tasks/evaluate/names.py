"""One metric name as a value: "ndcg@10" is `Metric("ndcg", 10)`, parsed once, written one way.

Every place that splits a metric key ("recall@5" in metrics.json, a gate rule, a comparison)
or builds one goes through `Metric`, so the spelling and the report order live here. The
report order is `config.evaluation.ALL_METRIC_NAMES` (by name, then cutoff k); it is read
lazily so that config could itself use this module without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import total_ordering


def _report_names() -> tuple[str, ...]:
    from config.evaluation import ALL_METRIC_NAMES  # lazy: see the module docstring

    return ALL_METRIC_NAMES


@total_ordering
@dataclass(frozen=True)
class Metric:
    """A metric name and its cutoff k; orders as reports list them (by name, then k)."""

    name: str
    k: int

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"metric name must be an identifier, got {self.name!r}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"metric cutoff k must be an integer >= 1, got {self.k!r}")

    @classmethod
    def parse(cls, text: str) -> Metric:
        """`Metric.parse("ndcg@10") == Metric("ndcg", 10)`; anything else is a ValueError."""
        name, sep, k = text.partition("@")
        if not sep or not (k.isascii() and k.isdigit()):
            raise ValueError(f"metric must look like 'recall@5', got {text!r}")
        return cls(name, int(k))

    def __str__(self) -> str:
        return f"{self.name}@{self.k}"

    @property
    def group_only(self) -> bool:
        """Measured at group level only (qdrant.group_key set), such as chunk_coverage."""
        from config.evaluation import GROUP_METRIC_NAMES  # lazy: see the module docstring

        return self.name in GROUP_METRIC_NAMES

    def _order(self) -> tuple[int, str, int]:
        names = _report_names()
        # Names outside the report list sort after it, alphabetically.
        rank = names.index(self.name) if self.name in names else len(names)
        return rank, self.name, self.k

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Metric):
            return NotImplemented
        return self._order() < other._order()
