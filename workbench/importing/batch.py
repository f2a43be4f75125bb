"""Facts about a whole batch of incoming endpoint rows that the upsert rules ask for, learnt cheaply.

Validation learns them in threads beside its last checks, when every column is final (so the write phase,
where both cores are busy writing parts, does not wait for them). Each fact holds for any subset of the rows
it was learnt on: rows rejected afterwards only make it truer.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class BatchFacts:
    """What is known of a batch before its upsert (None: not known; the upsert works it out itself)."""

    #: at least the most rows any one ``User.UserId`` has (the 15-endpoints-per-user rule)
    most_rows_per_user: int | None = None
    #: True: no ``Address`` occurs twice (an address taken by two rows leaves the earlier one INACTIVE)
    addresses_distinct: bool | None = None


def learn_batch_facts(frame: pl.DataFrame) -> Callable[[], BatchFacts]:
    """Start learning the facts of ``frame`` (final ``User.UserId`` and ``Address`` columns) in threads; the
    returned function waits for them."""
    pool = ThreadPoolExecutor(2, thread_name_prefix="batch-facts")
    users = (
        pool.submit(most_rows_per_value, frame.get_column("User.UserId"))
        if "User.UserId" in frame.columns
        else None
    )
    addresses = (
        pool.submit(surely_distinct, frame.get_column("Address")) if "Address" in frame.columns else None
    )
    pool.shutdown(wait=False)

    def result() -> BatchFacts:
        return BatchFacts(
            users.result() if users else 0,
            addresses.result() if addresses else True,
        )

    return result


def _hashes(values: pl.Series) -> pl.Series:
    """64-bit hashes of the non-null values (equal values, equal hashes; distinct ones collide very rarely)."""
    return values.drop_nulls().rechunk().hash(7)


def surely_distinct(values: pl.Series) -> bool:
    """True when no non-null value occurs twice, proven by distinct hashes; False: maybe (check exactly)."""
    hashes = _hashes(values)
    return hashes.n_unique() == hashes.len()


def most_rows_per_value(values: pl.Series) -> int:
    """At least as many as the most rows any one non-null value has (hash collisions can only add): a bound
    that spares the exact group-by when it is small. Sorting 64-bit hashes costs a third of grouping the strings.
    """
    import numpy as np

    hashes = _hashes(values).sort().to_numpy()
    if not hashes.size:
        return 0
    ends = np.flatnonzero(hashes[1:] != hashes[:-1])
    return int(np.diff(np.concatenate(([-1], ends, [hashes.size - 1]))).max())
