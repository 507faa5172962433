"""Alembic migrations of the warehouse: raw landing tables, roles, grants, security and privacy.

Each revision in ``versions/`` runs one SQL file of ``sql/`` (see ``docs/migrations.md``).
"""
