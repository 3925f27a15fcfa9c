"""Unit 05, load balancers: spread the work over backends, not just the requests (lesson 05).

``model`` (re-exported here) holds the concept: the policies (round robin, smooth weighted
round robin, random, least connections, power of two choices, hashing), balls into bins,
the supermarket model and a seeded queueing simulation. ``live`` runs a real layer 7
reverse proxy in front of HTTP backends on 127.0.0.1, ``plots`` draws response times and
server loads, and ``explorer`` is the lesson's balancing explorer; importing this package
loads none of them.
"""

from helpers.balancing.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.balancing.model import __all__ as __all__
