"""The rollout explorer of lesson 09: who can read whom while a change rolls out, and how many requests fail."""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape

from matplotlib.axes import Axes

from helpers.explorer import Control, Explorer
from helpers.panels import Panel
from helpers.versioning.model import (
    CHANGES,
    READER_KINDS,
    STRATEGIES,
    compatibility,
    consumer_reader,
    contract_failure_rate,
    failure_rate,
    provider_document,
)
from helpers.versioning.plots import draw_matrix, draw_rollout, frame_matrix, frame_rollout

__all__ = ["RolloutExplorer", "explore_rollout"]

SHARES = tuple(round(i / 10, 1) for i in range(11))
"""The explorer's steps for the shares of providers and consumers upgraded: 0%, 10%, ..., 100%."""

_GRID = tuple(i / 50 for i in range(51))


def _dashed(strategy: str) -> str:
    """ "expand-migrate-contract" as it is printed, with en dashes."""
    return strategy.replace("-", "\u2013")


def _percent(share: float) -> str:
    return f"{share:.0%}"


@lru_cache(maxsize=512)
def _curve(change: str, strategy: str, kind: str, consumers: float) -> tuple[float, ...]:
    return tuple(failure_rate(p, consumers, change, strategy, kind) for p in _GRID)


@lru_cache(maxsize=64)
def _documents_table(change: str, strategy: str, kind: str) -> str:
    """An HTML table: what old and new providers send, and what old and new consumers read."""
    rows = []
    for version in ("old", "new"):
        sent = json.dumps(provider_document(change, version, strategy), separators=(", ", ": "))
        model = consumer_reader(change, version, kind, strategy)
        fields = ", ".join(
            f"{name}{'' if info.is_required() else '?'}: {getattr(info.annotation, '__name__', info.annotation)}"
            for name, info in model.model_fields.items()
        )
        rule = "nothing else allowed" if kind == "strict" else "anything else ignored"
        rows.append(f"<tr><td><b>{version}</b></td><td><code>{escape(sent)}</code></td>"
                    f"<td><code>{{{escape(fields)}}}</code> {rule}</td></tr>")  # fmt: skip
    head = "<tr><th></th><th align='left'>provider sends</th><th align='left'>consumer reads</th></tr>"
    return f"<table style='font-size:90%'>{head}{''.join(rows)}</table>"


class RolloutExplorer(Explorer):
    """Explorer for lesson 09: a change rolling out over providers and consumers.

    Five controls: the share of providers and of consumers already on the new version, the
    change (add a field, rename one, change its type, remove an unused one), the strategy
    (big bang, or expand-migrate-contract, where a new provider sends both forms), and how
    consumers read (a strict schema or a tolerant reader).

    The figure shows (a) the 2x2 compatibility matrix, each cell with its share of the
    traffic and what its reader found wrong; (b) the share of requests that fail as
    providers upgrade, for both strategies at the current share of consumers, with the
    current point marked. The status line gives the numbers and what the contract step
    would fail now, over a table of what old and new providers send and what old and new
    consumers read.

    Examples:
        >>> explorer = RolloutExplorer()
        >>> explorer.status.value.startswith("<b>50%</b> of requests fail")
        True
        >>> explorer.controls["strategy"].value = "expand-migrate-contract"
        >>> explorer.status.value.startswith("<b>0%</b> of requests fail")
        True
    """

    CONTROLS = (
        Control("providers", "providers upgraded", SHARES, 0.5, format=_percent),
        Control("consumers", "consumers upgraded", SHARES, 0.0, format=_percent),
        Control("change", "change", tuple(CHANGES), "rename field", kind="toggle"),
        Control("strategy", "strategy", STRATEGIES, "big bang", kind="toggle",
                format=_dashed),
        Control("reader", "consumers read with", READER_KINDS, "tolerant", kind="toggle",
                format=lambda kind: "a strict schema" if kind == "strict" else "a tolerant reader"),
    )  # fmt: skip
    ROWS = (("providers", "consumers"), ("change",), ("strategy", "reader"))
    FIGSIZE = (11.0, 4.0)
    # The matrix's title names the change: it is the only text outside the cells that moves.
    PANELS = (Panel((0.10, 0.04, 0.40, 0.72), changes=("title",)), Panel((0.62, 0.25, 0.36, 0.65)))
    CAPTION = (
        "<b>Left:</b> each pair of consumer and provider, green when the consumer reads the answer, with its share "
        "of the requests, (1\u2212c)(1\u2212p), (1\u2212c)p, c(1\u2212p) and cp, and what its reader found "
        "wrong. Under expand\u2013migrate\u2013contract a new provider has taken the expand step and sends both "
        "forms. <b>Right:</b> the "
        "share of requests that fail as providers upgrade, consumers fixed at c, for both strategies (the current "
        "one thicker); the dot is now. The table above shows product 7 as each provider sends it and what each "
        "consumer's reader needs (<code>?</code>: optional)."
    )

    def frame(self, matrix_ax: Axes, rollout_ax: Axes) -> None:
        frame_matrix(matrix_ax)
        frame_rollout(rollout_ax)

    def draw(
        self,
        matrix_ax: Axes,
        rollout_ax: Axes,
        *,
        providers: float,
        consumers: float,
        change: str,
        strategy: str,
        reader: str,
    ) -> str:
        p, c = providers, consumers
        shares = (((1 - c) * (1 - p), (1 - c) * p), (c * (1 - p), c * p))
        draw_matrix(compatibility(change, strategy, reader), shares, matrix_ax, title=CHANGES[change].summary)
        curves = {name: _curve(change, name, reader, c) for name in STRATEGIES}
        draw_rollout(curves, p, strategy, rollout_ax, grid=_GRID)
        failing = failure_rate(p, c, change, strategy, reader)
        other = STRATEGIES[1 - STRATEGIES.index(strategy)]
        status = (
            f"<b>{failing:.0%}</b> of requests fail with {p:.0%} of providers and {c:.0%} of consumers upgraded "
            f"({CHANGES[change].summary}, {_dashed(strategy)}, {reader} readers); "
            f"{_dashed(other)} would fail {failure_rate(p, c, change, other, reader):.0%}."
        )
        if strategy == "expand-migrate-contract":
            contract = contract_failure_rate(c, change, reader)
            status += f" Contracting now (removing the old form) would fail {contract:.0%}" + (
                ": migrate every consumer first." if contract > 0 else "."
            )
        return status + _documents_table(change, strategy, reader)


def explore_rollout() -> RolloutExplorer:
    """Rollout explorer for lesson 09 at its default settings: a notebook cell's one line (lesson 09, "Explore").

    Examples:
        >>> explore_rollout().controls["change"].value
        'rename field'
    """
    return RolloutExplorer()
