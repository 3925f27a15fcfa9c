"""Unit 13, how to scale: from one box to replicas, caches and shards.

``model`` (re-exported here) holds the arithmetic: utilisation per tier and the bottleneck,
what replicas and shards buy, stale-read probability, availability. ``live`` runs real
PostgreSQL (a primary and a streaming replica) and a Valkey cache server on 127.0.0.1;
importing this package loads neither.
"""

from helpers.scaling.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.scaling.model import __all__ as __all__
