"""The store's SQLite tables (records hold the landed payloads; the rest is generator state)."""

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    kind TEXT NOT NULL, shop TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, parent_id TEXT, payload TEXT NOT NULL
);
CREATE TABLE pending (
    kind TEXT NOT NULL, shop TEXT NOT NULL, id TEXT NOT NULL, due INTEGER NOT NULL,
    plan TEXT NOT NULL, PRIMARY KEY (kind, shop, id)
);
CREATE TABLE personas (
    shop TEXT NOT NULL, id TEXT NOT NULL, persona TEXT NOT NULL, active INTEGER NOT NULL,
    PRIMARY KEY (shop, id)
);
"""
INDEXES = """
CREATE UNIQUE INDEX records_key ON records (kind, shop, id);
CREATE INDEX records_updated ON records (kind, shop, updated_at, seq, id);
CREATE INDEX records_parent ON records (kind, shop, parent_id, updated_at, seq, id)
    WHERE parent_id IS NOT NULL;
CREATE INDEX pending_due ON pending (due, kind, shop, id);
"""
