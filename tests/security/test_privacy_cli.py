"""`hotrod privacy ...` against a small hand-made warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.security import support

HOTROD = os.path.join(os.path.dirname(sys.executable), "hotrod")


def _hotrod(args: list[str], url, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOTROD_DATABASE_URL": url.url, "HOTROD_HOME": str(home)}
    return subprocess.run(
        [HOTROD, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=support._default_signals,
        check=False,
    )


def test_cli_export_redact_and_audit(fresh_db, tmp_path):
    support.land(fresh_db, support.raw_rows(), "batch-1")
    shop = support.SHOPS[1]
    customer = support.customer(2, 1)

    export = _hotrod(
        ["privacy", "export", shop, customer["id"].rsplit("/", 1)[-1]], fresh_db, tmp_path
    )
    assert export.returncode == 0, export.stderr
    assert "export written to" in export.stdout
    [path] = list((tmp_path / "privacy" / "exports" / shop).glob("*.json"))
    assert json.loads(path.read_text())["customer_id"] == customer["id"]

    redact = _hotrod(["privacy", "redact-customer", shop, customer["id"]], fresh_db, tmp_path)
    assert redact.returncode == 0, redact.stderr
    assert json.loads(redact.stdout)["raw_shopify.customers"] == 1
    assert not path.exists()
    assert support.scan(fresh_db, [customer["displayName"]]) == []

    refused = _hotrod(["privacy", "redact-shop", shop], fresh_db, tmp_path)
    assert refused.returncode == 2 and "--yes" in refused.stdout
    assert support.scan(fresh_db, [shop])

    gone = _hotrod(["privacy", "redact-shop", shop, "--yes"], fresh_db, tmp_path)
    assert gone.returncode == 0, gone.stderr
    assert support.scan(fresh_db, [shop]) == []

    audit = _hotrod(["privacy", "audit"], fresh_db, tmp_path)
    actions = [json.loads(line)["action"] for line in audit.stdout.splitlines()]
    assert actions == ["redact_shop", "redact_customer", "export_customer"]
    assert all(json.loads(line)["actor"].startswith("cli:") for line in audit.stdout.splitlines())

    bad = _hotrod(["privacy", "export", shop, "not-an-id"], fresh_db, tmp_path)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "not a Shopify customer id" in bad.stderr + bad.stdout
