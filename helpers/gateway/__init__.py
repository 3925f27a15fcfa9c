"""Unit 07, API gateways: one front door that terminates TLS, checks keys and says no politely (lesson 07).

``model`` (re-exported here) holds the concept: four rate limiters (token bucket, fixed
window, sliding log, sliding counter), replayed traces and the token bucket's b + r·t
bound, ``Retry-After`` values, and CIDR allowlists. ``live`` runs a real HTTPS gateway and
the plain-HTTP backend behind it on 127.0.0.1, ``plots`` draws admissions and arrival
curves, and ``explorer`` is the lesson's rate-limit explorer; importing this package
loads none of them (nor ``cryptography``).
"""

from helpers.gateway.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.gateway.model import __all__ as __all__
