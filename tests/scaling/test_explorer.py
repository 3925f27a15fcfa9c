"""Tests for helpers.scaling.explorer beyond the shared contract (tests/kit/test_explorers.py)."""

from __future__ import annotations

import matplotlib.colors

from helpers.scaling.explorer import ScalingExplorer, explore_scaling
from helpers.scaling.model import TIERS, Deployment, bottleneck, max_throughput


def test_status_names_the_model_bottleneck_and_capacity() -> None:
    explorer = explore_scaling()
    settings = explorer.settings
    deployment = Deployment(web_servers=settings["web_servers"], replicas=settings["replicas"],
                            shards=settings["shards"], cache=settings["hit_rate"] > 0)  # fmt: skip
    first = bottleneck(settings["rps"], settings["read_share"], settings["hit_rate"], deployment)
    top = max_throughput(settings["read_share"], settings["hit_rate"], deployment)
    assert f"<b>{first}</b>" in explorer.status.value
    assert f"{top:,.0f}" in explorer.status.value


def test_one_box_at_high_load_is_over_capacity_at_the_primary() -> None:
    explorer = ScalingExplorer(rps=50_000, replicas=0, hit_rate=0.0, web_servers=10, shards=1)
    assert "over capacity" in explorer.status.value
    assert "<b>primary</b>" in explorer.status.value
    patches = explorer.panels.axes[0].patches
    edges = [matplotlib.colors.to_hex(patch.get_edgecolor(), keep_alpha=True) for patch in patches]
    assert [tier for tier, edge in zip(TIERS, edges, strict=True) if edge == "#000000ff"] == ["primary"]


def test_more_replicas_raise_capacity_until_writes_cap_it() -> None:
    explorer = ScalingExplorer(rps=500, hit_rate=0.0, web_servers=10, read_share=0.9, replicas=0)
    assert "1,000</b> requests/s" in explorer.status.value
    explorer.controls["replicas"].value = 8
    assert "8,889</b> requests/s" in explorer.status.value  # 8,000 reads/s are 90% of 8,889 requests/s
