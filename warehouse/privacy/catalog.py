"""Which tables and columns exist: privacy actions apply to whatever relations are present."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg2.extensions

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast", "security")


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, data type)

    @property
    def qualified(self) -> str:
        return f'"{self.schema}"."{self.name}"'

    def has(self, column: str) -> bool:
        return any(name == column for name, _ in self.columns)

    @property
    def text_columns(self) -> tuple[tuple[str, str], ...]:
        """Columns that can hold personal text: text, varchar, char, json, jsonb."""
        kinds = ("text", "character varying", "character", "json", "jsonb")
        return tuple((n, t) for n, t in self.columns if t in kinds)


def base_tables(
    cur: psycopg2.extensions.cursor, schemas: tuple[str, ...] | None = None
) -> list[Table]:
    """Every ordinary or partitioned table (not views) outside the system schemas; generated
    columns are left out (they cannot be written)."""
    cur.execute(
        """
        select n.nspname, c.relname,
               array_agg(a.attname::text order by a.attnum),
               array_agg(format_type(a.atttypid, null) order by a.attnum)
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
          and a.attgenerated = ''
        where c.relkind in ('r', 'p') and not c.relispartition
          and n.nspname <> all(%s) and n.nspname not like 'pg\\_%%'
          and (%s::text[] is null or n.nspname = any(%s::text[]))
        group by n.nspname, c.relname
        order by n.nspname, c.relname
        """,
        (list(SYSTEM_SCHEMAS), list(schemas) if schemas else None, list(schemas or [])),
    )
    return [
        Table(schema, name, tuple(zip(cols, types, strict=True)))
        for schema, name, cols, types in cur.fetchall()
    ]
