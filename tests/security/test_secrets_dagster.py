"""No secret reaches the Dagster event log (issue 20 item 8).

The extraction assets are materialized through Dagster against the sandbox with known secrets:
Shopify and the app API pass, Chatwoot fails (a revoked token, and a password inside
CHATWOOT_URL). Every event of the run, serialized whole (messages, metadata, error chains), and
every table of the warehouse are scanned for the secrets: none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.security import support

_MATERIALIZE = """
import json
import dagster as dg
from dagster._serdes import serialize_value
from orchestration.defs.extract import raw_keys
from orchestration.defs.loader import build_definitions
from orchestration.defs.schedules import MATERIALIZE_ALL

job = build_definitions().resolve_job_def(MATERIALIZE_ALL)
with dg.DagsterInstance.ephemeral() as instance:
    result = job.execute_in_process(
        instance=instance, asset_selection=raw_keys(), raise_on_error=False
    )
    logs = [serialize_value(entry) for entry in instance.all_logs(result.run_id)]
failed = sorted(e.step_key for e in result.all_events if e.is_step_failure)
print(json.dumps({"failed": failed, "logs": logs}))
"""


def test_no_secret_in_the_dagster_event_log(fresh_db, tmp_path):
    store_mod = pytest.importorskip("sandbox.store")
    server_mod = pytest.importorskip("sandbox.server")
    from sandbox.server.app import Credentials
    from tests.extractors.sandbox_helpers import sandbox_env

    secrets = {
        "SHOPIFY_ACCESS_TOKEN": f"shpat_{uuid.uuid4().hex}",
        "CHATWOOT_API_TOKEN": f"cw_{uuid.uuid4().hex}",
        "HOTROD_APP_API_TOKEN": f"app_{uuid.uuid4().hex}",
    }
    revoked = f"cw_revoked_{uuid.uuid4().hex}"
    url_password = f"urlpw{uuid.uuid4().hex}"
    store = store_mod.SandboxStore.open(orders=120, seed=3)
    server = server_mod.start_server(
        store,
        credentials=Credentials(
            shopify_token=secrets["SHOPIFY_ACCESS_TOKEN"],
            chatwoot_token=secrets["CHATWOOT_API_TOKEN"],
            app_token=secrets["HOTROD_APP_API_TOKEN"],
        ),
    )
    env = {
        **os.environ,
        **sandbox_env(server.url, store),
        **secrets,
        "CHATWOOT_API_TOKEN": revoked,
        "CHATWOOT_URL": server.url.replace("://", f"://agent:{url_password}@", 1),
        "HOTROD_DATABASE_URL": fresh_db.url,
        "HOTROD_HOME": str(tmp_path / "home"),
    }
    try:
        out = subprocess.run(
            [sys.executable, "-c", _MATERIALIZE],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            preexec_fn=support._default_signals,
            check=False,
        )
    finally:
        server.stop()
        store.close()
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["failed"] == ["extract_chatwoot"]  # the revoked token: a real failure
    event_log = "\n".join(report["logs"])
    assert "401" in event_log and "agent:***@" in event_log  # the failure is told, masked
    known = {**secrets, "revoked": revoked, "url password": url_password}
    text = event_log + out.stdout + out.stderr
    assert [name for name, value in known.items() if value in text] == []
    assert support.scan(fresh_db, list(known.values())) == []
