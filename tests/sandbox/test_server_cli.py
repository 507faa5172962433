"""`hotrod sandbox serve | advance | send-webhooks` end to end, and the printed environment."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from sandbox.server.app import Credentials
from sandbox.server.cli import env_lines, register_server_commands
from tests.sandbox.fake_store import FakeStore
from tests.sandbox.test_webhook_sender import Receiver


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_env_lines_name_everything_an_extractor_needs():
    lines = env_lines("http://127.0.0.1:9", FakeStore(orders=1).shops(), Credentials())
    env = dict(line.split("=", 1) for line in lines)
    assert env["SHOPIFY_API_BASE_URL"] == "http://127.0.0.1:9/shops/{shop}"
    assert env["SHOPIFY_SHOP"] == "hot-rod-an.sandbox.test,speedway-classics.sandbox.test"
    assert env["CHATWOOT_ACCOUNT_ID"] == (
        "1=hot-rod-an.sandbox.test,2=speedway-classics.sandbox.test"
    )
    assert env["SHOPIFY_ACCESS_TOKEN"] == "shpat_sandbox_token"
    assert {"CHATWOOT_URL", "CHATWOOT_API_TOKEN", "HOTROD_APP_API_URL", "HOTROD_APP_API_TOKEN"} <= (
        env.keys()
    )


def test_overridden_tokens_are_referenced_not_printed():
    lines = env_lines("http://x", FakeStore(orders=1).shops(), Credentials(shopify_token="real!"))
    assert "real!" not in "\n".join(lines)
    assert "SHOPIFY_ACCESS_TOKEN=$HOTROD_SANDBOX_SHOPIFY_TOKEN" in lines


def test_commands_register_with_fault_options():
    parser = argparse.ArgumentParser()
    register_server_commands(parser.add_subparsers())
    args = parser.parse_args(
        ["serve", "--orders", "10", "--port", "0", "--throttle-every", "5", "--drop-at", "3"]
    )
    assert (args.orders, args.port, args.throttle_every, args.drop_at) == (10, 0, 5, 3)
    args = parser.parse_args(
        ["send-webhooks", "--to", "http://r", "--duplicates", "2", "--shuffle"]
    )
    assert args.duplicates == 2 and args.shuffle and not args.unsigned_chatwoot


def test_serve_advance_and_send_webhooks_as_processes(tmp_path: Path):
    env = {**os.environ, "HOTROD_HOME": str(tmp_path)}
    hotrod = [sys.executable, "-m", "hotrod.cli"]
    serve = subprocess.Popen(
        [*hotrod, "sandbox", "serve", "--orders", "300", "--seed", "5"]
        + ["--now", "2026-06-01T12:00:00Z", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        preexec_fn=_default_signals,
    )
    receiver = Receiver()
    try:
        assert serve.stdout is not None
        lines = [serve.stdout.readline().strip() for _ in range(8)]
        printed = dict(line.split("=", 1) for line in lines)
        url = printed["CHATWOOT_URL"]
        config = requests.get(f"{url}/_sandbox/config", timeout=30).json()
        assert config["now"].startswith("2026-06-01T12:00:00")
        advanced = subprocess.run(
            [*hotrod, "sandbox", "advance", "--url", url, "--days", "1"],
            capture_output=True,
            text=True,
            env=env,
            preexec_fn=_default_signals,
            check=True,
        )
        assert json.loads(advanced.stdout)["changes"] > 0
        sent = subprocess.run(
            [*hotrod, "sandbox", "send-webhooks", "--url", url, "--to", receiver.url]
            + ["--duplicates", "2", "--shuffle"],
            capture_output=True,
            text=True,
            env=env,
            preexec_fn=_default_signals,
            check=True,
        )
        report = json.loads(sent.stdout)
        assert report["failed"] == 0 and report["duplicates"] == 2
        assert len(receiver.requests) == report["delivered"] >= 3
    finally:
        receiver.stop()
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=60)
    assert code == 0
    assert not list((tmp_path / "sandbox").glob("*.live-*"))  # working copy removed
