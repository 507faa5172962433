"""`hotrod bench` at a tiny scale: every figure lands in the JSON (no timing assertions)."""

from __future__ import annotations

import json

import pytest

from benchmarks.cli import register
from benchmarks.harness.latency import ALL_VIEWS
from benchmarks.harness.runner import EXTRACT_ONLY_PATHS, FIGURE_PATHS, missing_figures
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
    # the full build recorded its release: the ordinary day's build leaves the views out
    assert figures["dbt_full_build"]["release_recorded"] is True
    daily = figures["incremental"]["dbt_build"]
    assert daily["code_only_left_out"] is True
    assert daily["model_seconds"]
    assert not [name for name in daily["model_seconds"] if name.startswith("v_")]
    assert set(figures["memory"]) == {
        "generation", "extraction", "copy_ceiling", "extractor_only", "dbt_full_build",
        "latency", "incremental",
    }  # fmt: skip
    assert all(peak["peak_rss_mb"] > 0 for peak in figures["memory"].values())


def test_each_extraction_says_where_its_time_went(figures: dict) -> None:
    for ext in (figures["extraction"], figures["extractor_only"]):
        spans = ext["source_seconds"]
        assert set(spans) == {"shopify", "chatwoot", "app"}
        assert 0 < max(spans.values()) <= ext["seconds"] + 1  # inside the run's wall time
        slowest = [read["seconds"] for read in ext["slowest_reads"]]
        assert slowest == sorted(slowest, reverse=True) and len(slowest) == 6
    assert "; by source app " in figures["_markdown"]


def test_the_markdown_table_names_the_machine_and_every_stage(figures: dict) -> None:
    text = figures["_markdown"]
    assert f"{figures['machine']['nproc']} CPUs" in text
    assert f"PostgreSQL {figures['machine']['postgres']}" in text
    calibration = figures["machine"]["calibration_s"]
    assert calibration["python"] > 0 and calibration["postgres"] > 0
    assert f"Python {calibration['python']} s, PostgreSQL {calibration['postgres']} s" in text
    stages = ("sandbox generation", "extraction", "COPY", "extractor only", "full `dbt build`")
    for stage in (*stages, "daily run"):
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


@pytest.fixture(scope="module")
def extract_only(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    out = tmp_path_factory.mktemp("bench") / "extract-only.json"
    args = parser.parse_args(
        ["bench", "--orders", "500", "--extract-only", "--quiet", "--json", str(out)]
    )
    assert args.handler(args) == 0
    return json.loads(out.read_text())


def test_extract_only_measures_the_client_beside_the_copy_ceiling(extract_only: dict) -> None:
    assert missing_figures(extract_only) == []
    assert {p.split(".")[0] for p in EXTRACT_ONLY_PATHS} >= {"extractor_only", "copy_ceiling"}
    assert "dbt_full_build" not in extract_only and "latency" not in extract_only
    alone = extract_only["extractor_only"]
    # every answer came from the recording, and the same rows landed as end to end
    assert alone["replay_missed"] == 0
    assert alone["replay_answered"] > 0 and alone["api_calls"] > 0
    assert alone["raw_rows"] == extract_only["extraction"]["raw_rows"]
    assert alone["cpu_seconds_per_1000_records"] > 0
    assert alone["peak_rss_mb"] > 0
    assert extract_only["extractor_only_share_of_copy"] > 0
    assert "extractor_only_ge_50pct_of_copy" in extract_only["goals"]
