"""The scaling explorer of lesson 13: which tier saturates, what replicas buy, how often reads are stale."""

from __future__ import annotations

from matplotlib.axes import Axes

from helpers.explorer import Control, Explorer
from helpers.panels import Panel
from helpers.scaling.model import Deployment, bottleneck, max_throughput, stale_read_probability, utilisation
from helpers.scaling.plots import (
    draw_stale,
    draw_throughput,
    draw_utilisation,
    frame_stale,
    frame_throughput,
    frame_utilisation,
)

__all__ = ["ScalingExplorer", "explore_scaling"]


class ScalingExplorer(Explorer):
    """Explorer for lesson 13: utilisation per tier, database capacity vs replicas, stale reads vs delay.

    A hit rate of 0 means no cache tier. No live server sits behind the sliders: the
    model of ``helpers.scaling`` computes every number, so a move redraws at once.

    Examples:
        >>> explorer = ScalingExplorer()
        >>> explorer.controls["replicas"].value = 0
        >>> "primary" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("rps", "requests/s", (500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000), 2_000, format="{:,}".format),
        Control("read_share", "read share", (0.5, 0.7, 0.8, 0.9, 0.95, 0.99), 0.9, format="{:.0%}".format),
        Control("hit_rate", "cache hit rate", (0.0, 0.5, 0.8, 0.9, 0.95), 0.8, format="{:.0%}".format),
        Control("replicas", "replicas", tuple(range(0, 9)), 2),
        Control("shards", "shards", tuple(range(1, 9)), 1),
        Control("web_servers", "web servers", tuple(range(1, 11)), 2),
        Control("lag_ms", "replica lag (ms)", (10, 50, 100, 300, 1_000), 100, format="{:,}".format),
    )
    FIGSIZE = (11.0, 4.0)
    PANELS = (
        Panel((0.08, 0.15, 0.24, 0.72)),
        Panel((0.42, 0.15, 0.24, 0.72)),
        Panel((0.74, 0.15, 0.24, 0.72)),
    )
    CAPTION = (
        "<b>Left:</b> utilisation of the busiest node of each tier at the offered load; red bars are at or past "
        "100%, and the outlined bar is the tier that saturates first. <b>Middle:</b> the most reads/s (blue) and "
        "writes/s (red) the database takes for 0-8 replicas per shard; the black squares mark this deployment and "
        "the dotted lines the offered reads (after the cache) and writes. <b>Right:</b> the chance that a user's "
        "read, sent to an async replica that long after their own write, misses it."
    )

    def frame(self, use_ax: Axes, throughput_ax: Axes, stale_ax: Axes) -> None:
        frame_utilisation(use_ax)
        frame_throughput(throughput_ax)
        frame_stale(stale_ax)

    def draw(
        self,
        use_ax: Axes,
        throughput_ax: Axes,
        stale_ax: Axes,
        *,
        rps: int,
        read_share: float,
        hit_rate: float,
        replicas: int,
        shards: int,
        web_servers: int,
        lag_ms: int,
    ) -> str:
        deployment = Deployment(web_servers=web_servers, replicas=replicas, shards=shards, cache=hit_rate > 0)
        use = utilisation(rps, read_share, hit_rate, deployment)
        first = bottleneck(rps, read_share, hit_rate, deployment)
        top = max_throughput(read_share, hit_rate, deployment)
        draw_utilisation(use_ax, use, first)
        reads = rps * read_share * (1 - hit_rate)
        draw_throughput(throughput_ax, replicas, shards, reads, rps * (1 - read_share))
        draw_stale(stale_ax, lag_ms)
        verdict = "over capacity" if use[first] >= 1 else "within capacity"
        return (
            f"{rps:,} requests/s is <b>{verdict}</b>: the <b>{first}</b> tier is at {use[first]:.0%}. "
            f"This deployment takes at most <b>{top:,.0f}</b> requests/s. "
            f"A read 100 ms after one's own write is stale with probability "
            f"{stale_read_probability(100, lag_ms):.0%} (mean lag {lag_ms:,} ms)."
        )


def explore_scaling() -> ScalingExplorer:
    """Scaling explorer for lesson 13 at its default settings: a notebook cell's one line (lesson 13, "Explore").

    Examples:
        >>> explore_scaling().controls["replicas"].value
        2
    """
    return ScalingExplorer()
