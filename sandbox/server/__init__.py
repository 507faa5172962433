"""Local Shopify GraphQL, Chatwoot REST and app API stand-ins over a sandbox store.

``start_server(store, port=0, faults=FaultConfig(...))`` serves a store from a background thread
(tests); ``hotrod sandbox serve`` runs it in the foreground (demo, benchmarks).
"""

from sandbox.server.app import Credentials, RunningServer, make_server, start_server
from sandbox.server.faults import FaultConfig

__all__ = ["Credentials", "FaultConfig", "RunningServer", "make_server", "start_server"]
