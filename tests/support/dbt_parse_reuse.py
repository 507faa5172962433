"""One dbt parse for the test suite's many databases.

dbt reuses its stored parse (``partial_parse.msgpack``) only when the connection and the
``--vars`` of a run equal those it was parsed with, so each throw-away test database and each
``as_of`` of a test costs a full parse of the project (about 20 s of CPU against 6 s for a run
that reuses one). The parse itself does not depend on either: the database name only lands in the
relation names. So a parse this process's dbt already made is handed to a new run's target folder
rewritten for the run's database and variables.

Every rewrite checks itself first: the stored parse's connection and variables hashes must equal
the ones recomputed here for the run that made it, else nothing is written and dbt parses in full
as before (a newer dbt that hashes differently costs time, never correctness). dbt still compares
every project file with the parse, so an edited model is re-parsed as usual.
"""

from __future__ import annotations

import pprint
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PARTIAL_PARSE = "partial_parse.msgpack"


@dataclass(frozen=True)
class _Parse:
    """A stored parse: its file and the database it was made for."""

    file: Path
    database: str


_seed: _Parse | None = None


def _credentials_hash(env: Mapping[str, str]) -> str:
    """profile_hash as dbt computes it for profiles/profiles.yml rendered in `env`."""
    from dbt.adapters.postgres.connections import PostgresCredentials
    from dbt.artifacts.resources import FileHash

    credentials = PostgresCredentials.from_dict(
        {
            "host": env.get("PGHOST", "localhost"),
            "port": int(env.get("PGPORT", "5432")),
            "user": env.get("PGUSER", "postgres"),
            "password": env.get("PGPASSWORD", ""),
            "database": env.get("PGDATABASE", "hotrod"),
            "schema": env.get("HOTROD_DBT_SCHEMA", "marts"),
            "sslmode": env.get("PGSSLMODE", "prefer"),
            "connect_timeout": 10,
        }
    )
    keys = sorted(credentials.connection_info())
    return FileHash.from_contents(pprint.pformat(keys)).checksum


def _vars_hash(cli_vars: Mapping[str, object]) -> str:
    """vars_hash as dbt computes it for `--vars` (no --profile/--target given)."""
    from dbt.artifacts.resources import FileHash
    from dbt.version import __version__

    return FileHash.from_contents(
        "\x00".join([pprint.pformat(dict(cli_vars)), "", "", __version__])
    ).checksum


def prime(target: Path, env: Mapping[str, str], cli_vars: Mapping[str, object]) -> bool:
    """Write into `target` this process's last parse, rewritten for the run of `env` and
    `cli_vars`, unless `target` holds a parse dbt will reuse already. True when written."""
    seed = _seed
    dest = target / PARTIAL_PARSE
    if seed is None or not seed.file.exists() or env.get("PGDATABASE") is None:
        return False
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumaro_encoder, extended_mashumuro_decoder

    profile_hash, vars_hash = _credentials_hash(env), _vars_hash(cli_vars)
    if _stored_hashes(dest) == (profile_hash, vars_hash):
        return False
    manifest = Manifest.from_msgpack(seed.file.read_bytes(), decoder=extended_mashumuro_decoder)
    _retarget(manifest, seed.database, env["PGDATABASE"])
    manifest.state_check.profile_hash.checksum = profile_hash
    manifest.state_check.vars_hash.checksum = vars_hash
    target.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(manifest.to_msgpack(extended_mashumaro_encoder))
    return True


def _stored_hashes(path: Path) -> tuple[str, str] | None:
    """(profile hash, vars hash) of the parse stored at `path`; None when there is none this
    dbt can read."""
    if not path.exists():
        return None
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder

    try:
        manifest = Manifest.from_msgpack(path.read_bytes(), decoder=extended_mashumuro_decoder)
    except Exception:  # noqa: BLE001 - not a parse this dbt can read
        return None
    return manifest.state_check.profile_hash.checksum, manifest.state_check.vars_hash.checksum


def _retarget(manifest, old: str, new: str) -> None:
    """Every relation of the parse in database `new` instead of `old`."""
    old_prefix, new_prefix = f'"{old}".', f'"{new}".'
    disabled = [node for nodes in manifest.disabled.values() for node in nodes]
    for node in [*manifest.nodes.values(), *manifest.sources.values(), *disabled]:
        if getattr(node, "database", None) == old:
            node.database = new
        relation = getattr(node, "relation_name", None)
        if relation and relation.startswith(old_prefix):
            node.relation_name = new_prefix + relation[len(old_prefix) :]
    for test in manifest.unit_tests.values():
        if getattr(test, "database", None) == old:
            test.database = new


def remember(target: Path, env: Mapping[str, str], cli_vars: Mapping[str, object]) -> None:
    """After this process's first dbt run in `target`: keep its parse as the seed of later runs
    when its hashes are the ones recomputed here (the check that makes every later rewrite
    safe). The project's files do not change during a test run; dbt re-parses any that do."""
    global _seed
    found = target / PARTIAL_PARSE
    database = env.get("PGDATABASE")
    if _seed is not None or database is None:
        return
    if _stored_hashes(found) != (_credentials_hash(env), _vars_hash(cli_vars)):
        return
    folder = Path(tempfile.mkdtemp(prefix="hotrod-parse-"))
    shutil.copyfile(found, folder / PARTIAL_PARSE)
    _seed = _Parse(folder / PARTIAL_PARSE, database)
