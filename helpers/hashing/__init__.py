"""Unit 08, consistent hashing: place keys on nodes so that few move when nodes come and go.

``model`` (re-exported here) holds the concept: mod-N, the ring with virtual nodes,
rendezvous and jump hash, and the measures of balance and movement. ``plots`` draws it and
``explorer`` is the lesson's ring explorer; importing this package loads neither.
"""

from helpers.hashing.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.hashing.model import __all__ as __all__
