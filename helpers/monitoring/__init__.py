"""Unit 10, monitoring: metrics, logs and correlation IDs.

``model`` (re-exported here) holds the concept: PromQL's ``increase``/``rate`` with counter
resets, ``histogram_quantile`` and why percentiles are not averaged, label cardinality,
Graphite's push line and W3C ``traceparent``. ``live`` runs the real pieces on 127.0.0.1;
importing this package loads neither it nor plots or the explorer.
"""

from helpers.monitoring.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.monitoring.model import __all__ as __all__
