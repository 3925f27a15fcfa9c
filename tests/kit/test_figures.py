"""The kit's figure helpers: node colours, short labels, fast bars."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.figures import bars, node_colors, short_labels

from figure_checks import new_axes


def test_node_colors_are_distinct_for_thirty_nodes() -> None:
    colors = node_colors(30)
    assert colors.shape == (30, 4)
    assert len({tuple(row) for row in colors.round(6)}) == 30


@pytest.mark.parametrize("count", [-1, 2.5, True])
def test_node_colors_rejects_bad_counts(count: object) -> None:
    with pytest.raises(ValueError, match=repr(count).replace(".", r"\.")):
        node_colors(count)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("names", "labels", "prefix"),
    [
        (["node-0", "node-1"], ["0", "1"], "node-"),
        (["node-9", "node-10", "node-11"], ["9", "10", "11"], "node-"),
        (["eu-west", "us-east"], ["eu-west", "us-east"], ""),
        (["solo"], ["solo"], ""),
    ],
)
def test_short_labels_drop_the_common_prefix(names: list[str], labels: list[str], prefix: str) -> None:
    assert short_labels(names) == (labels, prefix)


def test_bars_are_one_collection_with_a_path_per_bar() -> None:
    ax = new_axes()
    collection = bars(ax, np.arange(5.0), np.arange(1.0, 6.0), 0.8, "C0", gid="load")
    assert list(ax.collections) == [collection]
    assert (collection.get_gid(), len(collection.get_paths())) == ("load", 5)
    assert collection.get_paths()[4].vertices[:, 1].max() == 5.0
