"""The warehouse: which Postgres is in effect, the embedded server, connections and bootstrap."""
