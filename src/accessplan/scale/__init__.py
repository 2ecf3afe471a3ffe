"""Whole provinces and countries: partitioned runs with border buffers, on Dask.

A region is partitioned by administrative unit (county by default); each partition computes
on the roads and places within a buffer beyond its border and answers, exactly, for what it
owns; the answers are merged into the same tables a single process writes. See docs/scale.md.

Needs the ``distributed`` extra (Dask) for :func:`run_distributed`.
"""

from accessplan.scale._plan import Ownership, Partition, plan, speed_bound
from accessplan.scale._store import Store
from accessplan.scale.engine import PartitionedEngine, SerialRunner
from accessplan.scale.partition import Query
from accessplan.scale.runner import (
    DaskRunner,
    Distributed,
    partition_region,
    planned_queries,
    release,
    run_distributed,
    run_steps,
)

__all__ = [
    "DaskRunner",
    "Distributed",
    "Ownership",
    "Partition",
    "PartitionedEngine",
    "Query",
    "SerialRunner",
    "Store",
    "partition_region",
    "plan",
    "planned_queries",
    "release",
    "run_distributed",
    "run_steps",
    "speed_bound",
]
