"""Dagster orchestration of the Hot Rod AN platform (see ``orchestration.definitions``)."""
