"""Unit 01, interprocess communication: call a chain of services and wait, or publish events and move on (lesson 01).

``model`` (re-exported here) holds the concept: availability in series and in parallel,
the tail at scale, and a seeded simulation of one request made synchronously and as an
event. ``live`` runs real services on 127.0.0.1 (an HTTP chain, bare ZeroMQ PUB/SUB and
a small event broker), ``plots`` draws the latency tail and the fan-out risk, and
``explorer`` is the lesson's explorer; importing this package loads none of them.
"""

from helpers.ipc.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.ipc.model import __all__ as __all__
