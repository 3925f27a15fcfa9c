"""Unit 06, content delivery networks: TTL and LRU edges, Zipf popularity, push against pull.

``model`` (re-exported here) holds the concept: the fibre RTT floor, Zipf traces, the TTL
cache's hit ratio λT/(1+λT), push and pull costs with their egress crossover, LRU edges
and Che's approximation. ``live`` is an origin and an edge cache on 127.0.0.1, ``plots``
draws the models and ``explorer`` is the lesson's push-against-pull explorer; importing
this package loads none of them. Lesson: ``notebooks/06-content-delivery-networks.ipynb``.
"""

from helpers.cdn.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.cdn.model import __all__ as __all__
