"""The ground floor: the project folder and its settings, catalog connections with the lock retry, one
``transaction()``, numbered migrations, the endpoint parts and the event log's files. It imports no feature.
"""

from .catalog import transaction
from .handle import CATALOG, SETTINGS, Store

__all__ = ["CATALOG", "SETTINGS", "Store", "transaction"]
