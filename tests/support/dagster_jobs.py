"""A Dagster job by name with one op that does nothing: stands in for a project job in tests
of what reads the run history (sensors, the data tests' watermark)."""

from __future__ import annotations

import dagster as dg


@dg.op
def _nothing() -> None:
    return None


def one_op_job(name: str) -> dg.JobDefinition:
    @dg.job(name=name)
    def _one_op() -> None:
        _nothing()

    return _one_op
