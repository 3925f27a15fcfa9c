"""Unit 04, DNS: typed records, routing policies, TTL caches, and how long a change takes to be seen.

``model`` (re-exported here) holds the concept: records and zones, Route 53's routing
policies, a resolver's TTL cache, staleness after a change and the realised split of a
weighted policy. ``live`` is an authoritative DNS server on 127.0.0.1 and a caching
resolver in front of it, ``plots`` draws the simulations and ``explorer`` is the lesson's
routing explorer; importing this package loads none of them. Lesson:
``notebooks/04-dns.ipynb``.

This package is ``helpers.dns``; inside it, ``import dns.message`` is dnspython (imports
are absolute), never this package.
"""

from helpers.dns.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.dns.model import __all__ as __all__
