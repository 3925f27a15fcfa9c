"""The DNS explorer of lesson 04: how weighted and geolocation DNS split traffic, and how fast a change is seen."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from helpers.dns.model import (
    authoritative_query_rate,
    effective_resolvers,
    simulate_split,
    simulate_staleness,
    time_until_seen,
    weighted_shares,
    zipf_populations,
)
from helpers.dns.plots import draw_realised_split, draw_staleness, frame_realised_split, frame_staleness
from helpers.explorer import Control, Explorer
from helpers.panels import Panel

__all__ = ["DnsExplorer", "explore_dns"]

WEIGHT_CHOICES = (0, 1, 2, 5, 10, 25, 50, 100, 150, 200, 255)
"""Route 53-style weights (0 to 255) the DNS explorer offers for each region."""

RESOLVER_CHOICES = (1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000)
"""Numbers of resolvers (each fronting a Zipf-sized share of users) the DNS explorer offers."""

TTL_CHOICES_S = (30, 60, 120, 300, 600, 3_600)
"""TTLs in seconds the DNS explorer offers."""

EUROPE_SHARE_CHOICES = tuple(round(0.1 * i, 1) for i in range(11))
"""Shares of users in Europe the DNS explorer offers (the rest are in North America)."""

POLICY_CHOICES = ("weighted", "geolocation")
"""Routing policies the DNS explorer compares."""

SEED = 42
"""The seed of every setting's resolvers and answers: the same picture on a return to a setting."""

_SPLIT_TIMES_S = np.linspace(0.0, 600.0, 121)
_STALE_GRID = np.linspace(0.0, 1.5, 91)


@dataclass(frozen=True)
class _Setting:
    """What the explorer shows at one setting, and the numbers its status line reads."""

    split: NDArray[np.float64]  # share of users sent to eu-west at each of _SPLIT_TIMES_S
    stale: NDArray[np.float64]  # share of users still on the old answer at each of _STALE_GRID (in TTLs)
    expected: float
    effective: float
    half: float  # share still on the old answer at TTL/2


# Slider moves revisit the same few settings, so each is simulated (and summarised) once. The
# key holds only what the policy uses: under weighted routing the share of answers each region
# gets (weights 1 : 1 and 2 : 2 are one setting), under geolocation the share of users in Europe.
@lru_cache(maxsize=64)
def _setting(resolvers: int, ttl_s: int, answer_shares: tuple[float, float] | None, europe_share: float) -> _Setting:
    """Weighted routing's setting when ``answer_shares`` (us-east, eu-west) is given, else geolocation's."""
    rng = np.random.default_rng(SEED)
    populations = zipf_populations(resolvers, rng)
    if answer_shares is not None:
        probabilities = np.array([answer_shares])
        expected = answer_shares[1]
    else:
        in_europe = rng.random(resolvers) < europe_share
        probabilities = np.stack([~in_europe, in_europe], axis=1).astype(np.float64)
        expected = europe_share
    split = simulate_split(probabilities, populations, ttl_s, _SPLIT_TIMES_S, rng)[:, 1]
    stale = simulate_staleness(_STALE_GRID * ttl_s, ttl_s, populations, rng)
    split.flags.writeable = False
    stale.flags.writeable = False
    half = float(np.interp(0.5, _STALE_GRID, stale))
    return _Setting(split, stale, expected, effective_resolvers(populations), half)


def _settings_title(eu_weight: int, us_weight: int, europe_share: float, policy: str) -> str:
    """The left panel's title: the policy and every input, the one the policy ignores in brackets.

    Every control then shows in the picture, even where it does not change the split
    (the share of users in Europe under weighted routing, the weights under geolocation).
    """
    if policy == "weighted":
        return f"weighted, eu-west : us-east = {eu_weight} : {us_weight} (users in Europe: {europe_share:.0%})"
    return f"geolocation, users in Europe: {europe_share:.0%} (weights {eu_weight} : {us_weight})"


class DnsExplorer(Explorer):
    """Explorer for lesson 04: how weighted and geolocation DNS split real traffic, and how fast a change is seen.

    Taught in lesson 04, "Explore". Sliders: eu-west's weight, us-east's weight, the number
    of resolvers, the TTL and the share of users in Europe; buttons choose the policy. The
    figure shows (a) the share of users sent to eu-west over ten minutes, realised (steps)
    against expected (dashed), under a title that names the policy and its inputs, and (b)
    after a change, the share of users whose resolver still holds the old answer, against
    1 - t/TTL.

    Examples:
        >>> explorer = DnsExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.controls["eu_weight"].value = 5
        >>> "expected <b>83%</b>" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("eu_weight", "eu-west weight", WEIGHT_CHOICES, 1),
        Control("us_weight", "us-east weight", WEIGHT_CHOICES, 1),
        Control("resolvers", "resolvers", RESOLVER_CHOICES, 100, format="{:,}".format),
        Control("ttl_s", "TTL (s)", TTL_CHOICES_S, 60, format="{:,}".format),
        Control("europe_share", "users in Europe", EUROPE_SHARE_CHOICES, 0.3, format="{:.0%}".format),
        Control("policy", "policy", POLICY_CHOICES, "weighted", kind="toggle"),
    )
    ROWS = (("eu_weight", "us_weight", "resolvers"), ("ttl_s", "europe_share", "policy"))
    FIGSIZE = (11.0, 3.8)
    # The split's title names the policy and its inputs, so it is redrawn with the data.
    PANELS = (Panel((0.07, 0.15, 0.50, 0.74), changes=("title",)), Panel((0.68, 0.15, 0.30, 0.74)))
    CAPTION = (
        "Two regions serve <code>www.shop.test</code>: us-east and eu-west. Users sit behind resolvers whose sizes "
        "follow a Zipf law (a few big ones, many small ones). Each resolver caches <b>one</b> answer for a TTL and "
        "gives it to all its users, then asks again. <b>weighted</b>: each fresh answer is eu-west with probability "
        "w<sub>eu</sub> / (w<sub>eu</sub> + w<sub>us</sub>). <b>geolocation</b>: a resolver in Europe gets eu-west, "
        "any other gets the default, us-east. <b>Left:</b> share of users sent to eu-west over ten minutes, realised "
        "(steps) against expected (dashed); the title names the policy and its inputs (in brackets: the one it "
        "ignores). <b>Right:</b> after a change at t = 0, share of users whose resolver still holds the old answer, "
        "simulated against 1 &minus; t/TTL."
    )

    def frame(self, split_ax: Axes, stale_ax: Axes) -> None:
        frame_realised_split(split_ax)
        frame_staleness(stale_ax)

    def draw(
        self,
        split_ax: Axes,
        stale_ax: Axes,
        *,
        eu_weight: int,
        us_weight: int,
        resolvers: int,
        ttl_s: int,
        europe_share: float,
        policy: str,
    ) -> str:
        if policy == "weighted":
            us_share, eu_share = weighted_shares([us_weight, eu_weight]).tolist()
            setting = _setting(resolvers, ttl_s, (us_share, eu_share), 0.0)  # where users are plays no part
        else:
            setting = _setting(resolvers, ttl_s, None, europe_share)
        split, expected = setting.split, setting.expected
        draw_realised_split(_SPLIT_TIMES_S, split, expected, ax=split_ax)
        split_ax.set_title(_settings_title(eu_weight, us_weight, europe_share, policy), fontsize="medium", y=1.0)
        draw_staleness(_STALE_GRID, setting.stale, ax=stale_ax)
        rate = authoritative_query_rate(resolvers, ttl_s)
        return (
            f"<b>{policy}</b>: eu-west expected <b>{expected:.0%}</b>; realised {split.mean():.0%} on average, "
            f"from {split.min():.0%} to {split.max():.0%} over ten minutes "
            f"({resolvers:,} resolvers, as uneven as {setting.effective:,.1f} equal ones).<br>"
            f"After a change: {setting.half:.0%} of users still on the old answer at TTL/2 (expected 50%), none after "
            f"{ttl_s:,} s; 90% see it after {time_until_seen(0.9, ttl_s):,.0f} s. The authoritative server gets "
            f"about {rate:,.1f} queries/s from busy resolvers (R/TTL)."
        )


def explore_dns() -> DnsExplorer:
    """DNS routing explorer for lesson 04 at its default settings: a notebook cell's one line (lesson 04, "Explore").

    Examples:
        >>> explore_dns().controls["resolvers"].value
        100
    """
    return DnsExplorer()
