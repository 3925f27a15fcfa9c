"""Unit 11, testing services and releasing safely: test layers, stubs, canaries, MTTR over MTBF.

``model`` (re-exported here) holds the concept: flake rates per test layer, the canary's
sample size, time to decision, z-test and verdict, false alarms with and without peeking,
availability and an alternating-renewal simulation. ``live`` holds the services the lesson
tests (an order service, its payment and stock collaborators, their stubs and a fault
injector); ``plots`` draws the concept and ``explorer`` is the lesson's canary explorer.
Importing this package loads none of them.
"""

from helpers.testing.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.testing.model import __all__ as __all__
