"""Unit 14, numbers every engineer should know: nines, the classic tables, and this machine measured.

``model`` (re-exported here) holds the exact arithmetic: downtime per period, serial and
parallel composition, the latency tables with their sources, Colin Scott's model and the
speed of light in fibre. ``live`` measures this machine.
"""

from helpers.napkin.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.napkin.model import __all__ as __all__
