"""The CDN explorer of lesson 06: hit ratio, origin egress and edge storage of push and pull as traffic grows."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
from matplotlib.axes import Axes

from helpers.cdn.model import CdnCosts, crossover_rate, push_pull_costs
from helpers.cdn.plots import (
    draw_edge_storage,
    draw_hit_ratio_vs_traffic,
    draw_origin_egress,
    frame_edge_storage,
    frame_hit_ratio_vs_traffic,
    frame_origin_egress,
)
from helpers.explorer import Control, Explorer
from helpers.panels import Panel
from helpers.text import DAY_S, duration_text, rate_text

__all__ = ["CdnExplorer", "explore_cdn"]

TRAFFIC_CHOICES = (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000)
"""Total requests per second (all edges together) that the CDN explorer offers."""

TTL_CHOICES_S = (60, 300, 900, 3_600, 21_600, 86_400)
"""Pull TTLs (``max-age``) that the CDN explorer offers: a minute to a day."""

CATALOGUE_CHOICES = (100, 1_000, 10_000, 100_000)
"""Numbers of objects in the catalogue that the CDN explorer offers."""

UPDATE_CHOICES_PER_DAY = (0.1, 1, 4, 24, 96, 1_440)
"""Updates per object per day that the CDN explorer offers: every 10 days to every minute."""

EDGES = 10
"""Edges in the CDN explorer; traffic is split evenly over them."""

ZIPF_EXPONENT = 1.0
"""Zipf exponent of the CDN explorer's popularity (an assumption of the model, not a measurement)."""

_TRAFFIC_GRID = np.unique(np.concatenate([np.logspace(-2, 5, 36), np.asarray(TRAFFIC_CHOICES, dtype=np.float64)]))


@lru_cache(maxsize=32)
def _pull_costs(objects: int, ttl_s: int) -> CdnCosts:
    # The pull curves depend on the catalogue and the TTL only: an update-rate move reuses them.
    costs = push_pull_costs(_TRAFFIC_GRID, objects, float(ttl_s), 0.0, edges=EDGES, exponent=ZIPF_EXPONENT)
    for values in (costs.pull_hit_ratio, costs.pull_egress_per_s, costs.pull_storage):
        values.flags.writeable = False
    return costs


@lru_cache(maxsize=128)
def _costs(objects: int, ttl_s: int, updates_per_day: float) -> CdnCosts:
    update_rate = updates_per_day / DAY_S
    return replace(
        _pull_costs(objects, ttl_s),
        push_egress_per_s=update_rate * objects * EDGES,
        crossover_rate_per_s=crossover_rate(objects, float(ttl_s), update_rate, EDGES, ZIPF_EXPONENT),
    )


class CdnExplorer(Explorer):
    """Explorer for lesson 06: hit ratio, origin egress and edge storage of push and pull CDNs (lesson 06, "Explore").

    Four sliders: total traffic, the pull TTL, the catalogue size and the update rate per
    object. The figure shows, against traffic, (a) the hit ratio, (b) the objects per second
    the origin sends and (c) the objects stored on all edges, for pull and push, with the
    egress crossover and the current traffic marked.

    Examples:
        >>> explorer = CdnExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.controls["request_rate"].value = 0.01
        >>> "you are below it" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("request_rate", "traffic (all edges)", TRAFFIC_CHOICES, 10, format="{:,g}/s".format),
        Control("ttl_s", "pull TTL", TTL_CHOICES_S, 3_600, format=duration_text),
        Control("objects", "objects", CATALOGUE_CHOICES, 10_000, format="{:,}".format),
        Control("updates_per_day", "updates per object", UPDATE_CHOICES_PER_DAY, 1, format="{:g}/day".format),
    )
    ROWS = (("request_rate", "ttl_s"), ("objects", "updates_per_day"))
    FIGSIZE = (11.0, 4.0)
    # Axes, titles and legends never change: only the curves, lines and dots are redrawn.
    PANELS = (
        Panel((0.06, 0.27, 0.26, 0.64)),
        Panel((0.39, 0.27, 0.26, 0.64)),
        Panel((0.72, 0.27, 0.26, 0.64)),
    )
    CAPTION = (
        f"A catalogue of O objects with Zipf popularity (exponent {ZIPF_EXPONENT:g}) is served by {EDGES} edges; "
        "the total traffic is split evenly over them. <b>Pull</b> (solid): an edge fetches an object on a miss and "
        "keeps it for the TTL, so object i's hit ratio at one edge is &lambda;<sub>i</sub>T/(1+&lambda;<sub>i</sub>T). "
        "<b>Push</b> (dashed): every object is uploaded to every edge, again at each update. <b>Left:</b> share of "
        "requests answered at the edge. <b>Middle:</b> objects per second the origin sends (multiply by the object "
        "size for bytes). <b>Right:</b> objects stored on all edges (pull: the expected number). The dash-dotted line "
        "is the traffic where pull's egress equals push's (none when the TTL is longer than the time between "
        "updates); the dots mark the current traffic."
    )

    @property
    def costs(self) -> CdnCosts:
        """Push and pull costs over the traffic grid for the current TTL, catalogue and update rate."""
        settings = self.settings
        return _costs(settings["objects"], settings["ttl_s"], settings["updates_per_day"])

    def frame(self, hit_ax: Axes, egress_ax: Axes, storage_ax: Axes) -> None:
        frame_hit_ratio_vs_traffic(hit_ax)
        frame_origin_egress(egress_ax)
        frame_edge_storage(storage_ax)

    def draw(
        self,
        hit_ax: Axes,
        egress_ax: Axes,
        storage_ax: Axes,
        *,
        request_rate: float,
        ttl_s: int,
        objects: int,
        updates_per_day: float,
    ) -> str:
        costs = _costs(objects, ttl_s, updates_per_day)
        rate = float(request_rate)
        draw_hit_ratio_vs_traffic(costs, rate, ax=hit_ax)
        draw_origin_egress(costs, rate, ax=egress_ax)
        draw_edge_storage(costs, rate, ax=storage_ax)

        at = int(np.searchsorted(costs.request_rate_per_s, rate))  # every choice is on the grid
        hit, egress, stored = (float(costs.pull_hit_ratio[at]), float(costs.pull_egress_per_s[at]),
                               float(costs.pull_storage[at]))  # fmt: skip
        crossover = costs.crossover_rate_per_s
        if crossover is None:
            verdict = (f"No crossover: an object changes less often than every TTL would re-pull it only if "
                       f"updates are rarer than 1/TTL; here {updates_per_day:g}/day &times; "
                       f"{duration_text(ttl_s)} &ge; 1, so push uploads more than pull ever fetches.")  # fmt: skip
        else:
            side = "below" if rate < crossover else "above"
            consequence = (
                "pull fetches less than push uploads, but misses more."
                if side == "below"
                else "pull re-fetches more than push uploads (at most one fetch per object per edge per TTL)."
            )
            verdict = f"Egress crossover at <b>{crossover:,.3g} requests/s</b>: you are {side} it, so {consequence}"
        return (
            f"{rate:,g} requests/s over {objects:,} objects and {EDGES} edges, TTL {duration_text(ttl_s)}, "
            f"{updates_per_day:g} updates per object per day.<br>"
            f"<b>Pull</b>: pull answers <b>{hit:.1%}</b> at the edge; the origin sends {rate_text(egress)}; "
            f"the edges hold {stored:,.0f} objects on average. "
            f"<b>Push</b>: 100% at the edge; uploads {rate_text(costs.push_egress_per_s)}; "
            f"the edges hold {costs.push_storage:,.0f} objects.<br>{verdict}"
        )


def explore_cdn() -> CdnExplorer:
    """CDN explorer for lesson 06 at its default settings: a notebook cell's one line (lesson 06, "Explore").

    Examples:
        >>> explore_cdn().controls["ttl_s"].value
        3600
    """
    return CdnExplorer()
