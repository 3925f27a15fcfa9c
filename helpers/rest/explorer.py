"""The explorers of lesson 03: the retry explorer, and a hypermedia browser over the live order API.

``RetryExplorer`` (an ``Explorer``) shows how many duplicate orders retries create when
responses are lost. ``HypermediaBrowser`` is not an explorer of a model but a small client
with a face: one button per link of the representation on show, over a live ``OrderApi``.
"""

from __future__ import annotations

import json
import weakref
from functools import lru_cache
from html import escape
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes

from helpers.explorer import Control, Explorer
from helpers.panels import Panel
from helpers.rest.live import OrderApi, follow
from helpers.rest.model import (
    REL,
    STRATEGIES,
    Link,
    Response,
    RetryOutcome,
    expected_duplicates,
    link,
    links,
    simulate_retries,
)
from helpers.rest.plots import draw_created, draw_duplicates, frame_created, frame_duplicates
from helpers.text import percent_label

__all__ = ["HypermediaBrowser", "RetryExplorer", "browse_orders", "explore_retries"]

LOSS_RATE_CHOICES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
"""Shares of responses lost that the retry explorer offers."""

RETRY_CHOICES = (1, 2, 3, 4, 5)
"""Retries after a lost response that the retry explorer offers."""

ORDER_COUNT_CHOICES = (100, 1_000, 10_000, 100_000)
"""Numbers of orders a client places in the retry explorer."""

SIMULATION_SEED = 42
"""Seed of every simulation: the same setting always gives the same picture."""

_LOSS_GRID = np.round(np.linspace(0.0, 0.5, 51), 2)  # every choice above is on this grid


@lru_cache(maxsize=32)
def _retry_outcome(requests: int, retries: int) -> RetryOutcome:
    # One seed per setting, shared by every loss rate: the curves are smooth, and moving the
    # loss-rate slider only moves the dots.
    return simulate_retries(_LOSS_GRID, requests, retries, np.random.default_rng(SIMULATION_SEED))


class RetryExplorer(Explorer):
    """Explorer for lesson 03: duplicate orders created when lost responses are retried (lesson 03, "Explore").

    Three sliders: the share of responses lost (q), the retries allowed after a lost
    response (R) and the orders placed (N). The figure shows (a) duplicates per order
    against q for POST, PUT and POST with an Idempotency-Key, with the q·N line and the
    exact expectation for POST, and (b) the orders created at the current q.

    Examples:
        >>> explorer = RetryExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.controls["loss_rate"].value = 0.0
        >>> "POST created <b>1,000</b>" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("loss_rate", "responses lost (q)", LOSS_RATE_CHOICES, 0.1, format=percent_label),
        Control("retries", "retries (R)", RETRY_CHOICES, 1),
        Control("requests", "orders placed (N)", ORDER_COUNT_CHOICES, 1_000, format="{:,}".format),
    )
    FIGSIZE = (11.0, 4.0)
    # Fixed axes, titles and legends, the q line and the "one per order" line: only curves,
    # dots, bars and their labels change from one move to the next.
    PANELS = (Panel((0.07, 0.30, 0.50, 0.61)), Panel((0.67, 0.20, 0.31, 0.71)))
    CAPTION = (
        "A client places N orders. The server does each request's work, then loses the response with probability q; "
        "after a lost response the client tries again, up to R more times. <b>POST</b> to the collection creates a new "
        "order on every attempt; <b>PUT</b> to a URI the client chose writes the same order again; <b>POST with an "
        "Idempotency-Key</b> is recognised by its key and answered with the first reply. <b>Left:</b> duplicate orders "
        "per order against q, simulated (solid) with the dotted line q (q&middot;N duplicates: exact for one retry) "
        "and the dashed exact expectation for POST, q + q&sup2; + &hellip; + q<sup>R</sup>; dots at the current q. "
        "<b>Right:</b> orders created at the current q, per order intended; labels give the counts."
    )

    def frame(self, curves_ax: Axes, bars_ax: Axes) -> None:
        frame_duplicates(curves_ax, STRATEGIES)
        frame_created(bars_ax, STRATEGIES)

    def draw(self, curves_ax: Axes, bars_ax: Axes, *, loss_rate: float, retries: int, requests: int) -> str:
        q = float(loss_rate)
        outcome = _retry_outcome(requests, retries)
        at = int(np.argmin(np.abs(_LOSS_GRID - q)))
        draw_duplicates(_LOSS_GRID, {name: outcome.duplicates(name) for name in STRATEGIES}, requests, retries,
                        loss_rate=q, ax=curves_ax)  # fmt: skip
        created = {name: int(outcome.created[name][at]) for name in STRATEGIES}
        draw_created(created, requests, ax=bars_ax)
        expected = expected_duplicates(q, requests, retries)
        gave_up = int(outcome.gave_up[at])
        plural = "retry" if retries == 1 else "retries"
        return (
            f"q = {percent_label(q)}, R = {retries} {plural}, N = {requests:,}: "
            f"POST created <b>{created['POST']:,}</b> orders ({created['POST'] - requests:,} duplicates; "
            f"expected {expected:,.1f}, q&middot;N = {q * requests:,.1f}); "
            f"PUT <b>{created['PUT']:,}</b>; POST + Idempotency-Key <b>{created['POST + Idempotency-Key']:,}</b>. "
            f"{gave_up:,} requests lost every response and were given up, although the server did their work."
        )


def explore_retries() -> RetryExplorer:
    """Retry explorer for lesson 03 at its default settings: a notebook cell's one line (lesson 03, "Explore").

    Examples:
        >>> explore_retries().controls["retries"].value
        1
    """
    return RetryExplorer()


# --- the hypermedia browser -------------------------------------------------------------------

_NEW_ORDER = {"item": "book", "quantity": 1}


class HypermediaBrowser(widgets.VBox):
    """A hypermedia client: the current representation, and one button per link it offers (lesson 03, section 3).

    It starts at the entry point of an ``OrderApi`` and knows nothing else: every button
    follows a link of the representation on show, with a real HTTP request and the link's
    own method. "create" posts a new order (one book); "edit" puts the order back with one
    more item. Every other request that changes the order on show sends ``If-Match`` with
    the ETag it was shown with. A 204 has no body and so no links: the "entry point" button
    (the one address a client keeps) starts again. Buttons show the API's own relations
    (URIs under ``REL``) by their last part: "pay" for ``REL + "pay"``.

    Without an ``api`` the browser starts its own and stops it in ``close()``; a finalizer
    stops it too when the browser is garbage-collected or Python exits, so no server
    outlives its browser.

    Attributes:
        api: the OrderApi it talks to.
        buttons: one button per link of the representation on show, by relation type.
        home: the "entry point" button.
        view: HTML with the last request, its status and the representation.
        representation: the last JSON body received.
        history: "METHOD URL -> STATUS" for each request made.

    Examples:
        >>> browser = HypermediaBrowser()
        >>> [button.description for button in browser.buttons.values()]
        ['self (GET)', 'orders (GET)', 'create (POST)']
        >>> browser.buttons[REL + "create"].click()
        >>> browser.labels, browser.history[-1].endswith("201 Created")
        (['cancel', 'collection', 'edit', 'pay', 'self'], True)
        >>> browser.close(); browser.api.running
        False
    """

    def __init__(self, api: OrderApi | None = None) -> None:
        self.api = OrderApi().start() if api is None else api
        if not self.api.running:
            raise ValueError(f"api must be running (start it or use it in a with block), got {self.api!r}")
        self._stop_api = weakref.finalize(self, self.api.stop) if api is None else None
        self.buttons: dict[str, Any] = {}
        self.home = widgets.Button(description="⌂ entry point", tooltip=self.api.url)
        self.home.on_click(lambda button: self.go(Link("entry", self.api.url, "GET")))
        self.view = widgets.HTML("")
        self.representation: dict[str, Any] = {}
        self.history: list[str] = []
        self._etag: str | None = None
        self._links_box = widgets.HBox([])
        super().__init__([self.view, widgets.HBox([self.home, self._links_box])])
        self.go(Link("entry", self.api.url, "GET"))

    @property
    def labels(self) -> list[str]:
        """The buttons' relation types, sorted, the API's own without ``REL``."""
        return sorted(rel.removeprefix(REL) for rel in self.buttons)

    def follow(self, rel: str) -> Response:
        """Follow the link ``rel`` of the representation on show; the response."""
        return self.go(link(self.representation, rel))

    def go(self, target: Link) -> Response:
        """Make the request ``target`` describes, show the response and offer its links."""
        body: dict[str, Any] | None = None
        headers: dict[str, str] = {}
        creating = target.rel == REL + "create"
        if creating:
            body = dict(_NEW_ORDER)
        elif target.rel == "edit":
            body = {"item": self.representation["item"], "quantity": self.representation["quantity"] + 1}
        if target.method != "GET" and not creating and self._etag is not None:
            headers["If-Match"] = self._etag  # change the order on show only if it is still the version shown
        response = follow(target, body, headers)
        self.history.append(f"{target.method} {target.href} -> {response.status} {response.reason}")
        if response.status < 400:
            self.representation = response.json()
            self._etag = response.headers.get("etag")
            self._show_links()
        self._show(target, response)
        return response

    def _show_links(self) -> None:
        for button in self.buttons.values():
            button.close()
        self.buttons = {}
        for rel, target in links(self.representation).items():
            if target.templated:
                continue  # a template needs a value the browser does not have
            tooltip = f"{target.method} {target.href} (rel {rel})"
            button = widgets.Button(description=f"{rel.removeprefix(REL)} ({target.method})", tooltip=tooltip)
            button.on_click(lambda clicked, chosen=target: self.go(chosen))
            self.buttons[rel] = button
        self._links_box.children = tuple(self.buttons.values())

    def _show(self, target: Link, response: Response) -> None:
        colour = "#1a7f37" if response.status < 400 else "#b3261e"
        shown = response.json() if response.body else {}
        text = json.dumps(shown, indent=2) if shown else "(no body)"
        shown_headers = ("content-type", "etag", "location", "cache-control")
        headers = ", ".join(f"{name}: {response.headers[name]}" for name in shown_headers if name in response.headers)
        self.view.value = (
            f"<div style='font-family:monospace;font-size:90%'><b>{escape(target.method)}</b> "
            f"{escape(target.href)} &rarr; <b style='color:{colour}'>{response.status} {escape(response.reason)}</b>"
            f"<br><span style='color:#555'>{escape(headers)}</span>"
            f"<pre style='max-height:22em;overflow:auto;background:#f6f8fa;padding:6px'>{escape(text)}</pre></div>"
        )

    def close(self) -> None:
        """Close the widget and stop the API it started (if it started one)."""
        # getattr: ipywidgets calls close() from __del__, also on a browser whose __init__ failed.
        stop_api = getattr(self, "_stop_api", None)
        if stop_api is not None:
            stop_api()
        for button in [*getattr(self, "buttons", {}).values(), getattr(self, "home", None)]:
            if button is not None:
                button.close()
        super().close()


_current_browser: list[HypermediaBrowser] = []


def browse_orders() -> HypermediaBrowser:
    """Hypermedia browser for lesson 03 on a fresh order API: a notebook cell's one line (lesson 03, section 3).

    Running the cell again closes the browser it made before, and stops that browser's
    server, so re-runs never pile up servers.

    Examples:
        >>> first = browse_orders()
        >>> second = browse_orders()
        >>> first.api.running, second.api.running
        (False, True)
        >>> second.close()
    """
    while _current_browser:
        _current_browser.pop().close()
    browser = HypermediaBrowser()
    _current_browser.append(browser)
    return browser
