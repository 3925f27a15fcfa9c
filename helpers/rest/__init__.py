"""Unit 03, REST: follow the links, not the URLs; retry safely when a response is lost (lesson 03).

``model`` (re-exported here) holds the concept: what HTTP promises about each method
(RFC 9110), responses and the links in a representation, and how many duplicate orders
retries create. ``live`` runs the hypermedia order API on 127.0.0.1 and the small client
that talks to it (``request``, ``follow``, ``place_orders``), ``plots`` draws duplicates
and orders created, and ``explorer`` holds the lesson's retry explorer and its hypermedia
browser; importing this package loads none of them.
"""

from helpers.rest.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.rest.model import __all__ as __all__
