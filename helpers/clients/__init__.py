"""Unit 12, client libraries: discover instances, back off with jitter, retry what is safe, break circuits.

``model`` (re-exported here) holds the concept: SRV ordering, backoff strategies, Brooker's
contention simulation, retry rules and ``Retry-After``, a circuit breaker on an injected clock,
retry amplification and budgets. ``live`` holds the lesson's ``ServiceClient`` and backends.
"""

from helpers.clients.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.clients.model import __all__ as __all__
