"""`hotrod bench` at a tiny scale: every figure lands in the JSON (no timing assertions)."""

from __future__ import annotations

import json

import pytest

from benchmarks.cli import register
from benchmarks.harness.latency import ALL_VIEWS
from benchmarks.harness.runner import FIGURE_PATHS, missing_figures
from warehouse.connection import connect


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    markdown = out.with_suffix(".md")
    args = parser.parse_args(
        ["bench", "--orders", "1000", "--runs", "3", "--warmup", "1", "--quiet"]
        + ["--json", str(out), "--markdown", str(markdown)]
    )
    assert args.handler(args) == 0
    data = json.loads(out.read_text())
    data["_markdown"] = markdown.read_text()
    return data


def test_every_figure_is_in_the_json(figures: dict) -> None:
    assert missing_figures(figures) == []
    assert len(FIGURE_PATHS) > 20


def test_every_contract_view_was_timed_as_operator(figures: dict) -> None:
    views = figures["latency"]["views"]
    assert set(views) == set(ALL_VIEWS)
    failed = {name: v.get("error") for name, v in views.items() if "p95_ms" not in v}
    assert failed == {}
    assert all(v["runs"] == 3 for v in views.values())
    assert figures["latency"]["shop"].endswith(".sandbox.test")


def test_reference_points_and_stages_are_measured(figures: dict) -> None:
    assert figures["extraction"]["records_read"] > 1000
    assert figures["copy_ceiling"]["records"] == figures["extraction"]["raw_rows"]
    assert figures["extraction_share_of_copy"] > 0
    assert figures["dbt_full_build"]["returncode"] == 0
    assert any(name.endswith("v_sales_pulse_current") for name in
               figures["dbt_full_build"]["model_seconds"])  # fmt: skip
    assert set(figures["latency"]["tile_vs_baseline"]) >= {"v_sales_pulse_current"}
    assert figures["incremental"]["advance"]["changes"] > 0
    assert figures["incremental"]["dbt_build"]["returncode"] == 0
    assert set(figures["memory"]) == {
        "generation", "extraction", "copy_ceiling", "dbt_full_build", "latency", "incremental"
    }  # fmt: skip
    assert all(peak["peak_rss_mb"] > 0 for peak in figures["memory"].values())


def test_the_markdown_table_names_the_machine_and_every_stage(figures: dict) -> None:
    text = figures["_markdown"]
    assert f"{figures['machine']['nproc']} CPUs" in text
    assert f"PostgreSQL {figures['machine']['postgres']}" in text
    for stage in ("sandbox generation", "extraction", "COPY", "full `dbt build`", "daily run"):
        assert stage in text
    assert "v_data_quality_dashboard" in text


def test_the_bench_drops_its_database_and_login(figures: dict, server_url) -> None:
    conn = connect(server_url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (figures["database"],))
            assert cur.fetchone() is None
            cur.execute(
                "select 1 from pg_roles where rolname = %s", (figures["latency"]["login_role"],)
            )
            assert cur.fetchone() is None
    finally:
        conn.close()
    assert figures["database"].startswith("hotrod_bench_")
