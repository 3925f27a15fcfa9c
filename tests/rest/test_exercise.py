"""Exercise 03 (hypermedia-client) grades what learners write: wrong answers fail and say why, right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py).
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "03-rest", "hypermedia-client.ipynb"

A_TABLE = '''def classify(method: str) -> dict[str, bool]:
    """Safe, idempotent, cacheable by default: one row per method, as RFC 9110's table."""
    rows = {
        "GET": (True, True, True), "HEAD": (True, True, True), "OPTIONS": (True, True, False),
        "TRACE": (True, True, False), "PUT": (False, True, False), "DELETE": (False, True, False),
        "POST": (False, False, False), "PATCH": (False, False, False), "CONNECT": (False, False, False),
    }
    row = rows.get(method.upper()) if isinstance(method, str) else None
    if row is None:
        raise ValueError(f"not an HTTP method: {method!r}")
    return dict(zip(("safe", "idempotent", "cacheable"), row))
'''

A_WRAPPER = '''def classify(method: str) -> dict[str, bool]:
    """The course's answer, wrapped."""
    props = helpers.rest.method_properties(method)
    return {"safe": props.safe, "idempotent": props.idempotent, "cacheable": props.cacheable}
'''

B_LOOP = '''def find_link(representation: dict, rel: str) -> dict:
    """The first link whose rel equals rel, ignoring case."""
    found = next((item for item in representation.get("links", []) if item["rel"].casefold() == rel.casefold()), None)
    if found is None:
        raise ValueError(f"{rel!r} is not offered here; offered: {[item['rel'] for item in representation['links']]}")
    return found


def complete_order(entry_url: str, item: str, quantity: int) -> dict:
    """Create, pay and ship an order from the entry point, following links only; the final representation."""
    here = request("GET", entry_url).json()
    for step in ("create", "pay", "ship"):
        control = find_link(here, REL + step)
        body = {"item": item, "quantity": quantity} if step == "create" else None
        answer = request(control["method"], control["href"], body)
        if not 200 <= answer.status < 300:
            raise RuntimeError(f"step {step}: HTTP {answer.status}")
        here = answer.json()
    return here
'''

B_WRAPPER = '''def find_link(representation: dict, rel: str) -> dict:
    """The course's link, as a dict."""
    found = helpers.rest.link(representation, rel)
    return {"rel": found.rel, "href": found.href, "method": found.method}


def complete_order(entry_url: str, item: str, quantity: int) -> dict:
    """The course's follow does the requests."""
    here = request("GET", entry_url).json()
    for step in ("create", "pay", "ship"):
        body = {"item": item, "quantity": quantity} if step == "create" else None
        answer = helpers.rest.live.follow(helpers.rest.link(here, REL + step), body)
        if answer.status >= 400:
            raise RuntimeError(f"{step} failed with HTTP {answer.status}")
        here = answer.json()
    return here
'''

C_NO_COPY = '''class ConditionalCache:
    """Tags and bodies in two dicts; the stored dict itself is returned (the spec allows it)."""

    def __init__(self) -> None:
        self.bytes_downloaded = 0
        self.not_modified = 0
        self.tags: dict[str, str] = {}
        self.bodies: dict[str, dict] = {}

    def get(self, url: str) -> dict:
        """The representation at url, revalidated with If-None-Match when a copy is stored."""
        conditions = {"If-None-Match": self.tags[url]} if url in self.tags else {}
        response = request("GET", url, headers=conditions)
        self.bytes_downloaded += len(response.body)
        if response.status == 304:
            self.not_modified += 1
            return self.bodies[url]
        if response.status == 200:
            self.tags[url], self.bodies[url] = response.headers["etag"], response.json()
            return self.bodies[url]
        raise RuntimeError(f"GET {url}: {response.status}")
'''

ANSWERS = [
    # Part A: classify methods
    Answer(
        "A",
        "POST counted cacheable (RFC 9110 lists it)",
        {"classify": ('"cacheable": name in {"GET", "HEAD"}', '"cacheable": name in {"GET", "HEAD", "POST"}')},
        fails={"test_classify": "not cacheable by default"},
    ),
    Answer(
        "A",
        "PATCH counted idempotent",
        {"classify": ('safe | {"PUT", "DELETE"}', 'safe | {"PUT", "DELETE", "PATCH"}')},
        fails={"test_classify": "PATCH: expected"},
    ),
    Answer(
        "A",
        "the name must be upper case",
        {"classify": ("method.upper() not in known", "method not in known")},
        fails={"test_classify": "accept the name in any case"},
    ),
    Answer(
        "A",
        "an unknown method is all False instead of an error",
        {
            "classify": (
                '        raise ValueError(f"method must be one of {sorted(known)}, got {method!r}")\n'
                "    name = method.upper()",
                '        return {"safe": False, "idempotent": False, "cacheable": False}\n    name = method.upper()',
            )
        },
        fails={"test_classify": "must raise ValueError"},
    ),
    Answer(
        "A",
        "wraps the course's method_properties",
        {"classify": A_WRAPPER},
        fails={"test_classify": "graded on your own code"},
    ),
    Answer("A", "one table of rows", {"classify": A_TABLE}),
    # Part B: follow links
    Answer(
        "B",
        "every link followed with POST",
        {"client": ('request(target["method"], target["href"], body)', 'request("POST", target["href"], body)')},
        fails={"test_complete_order": "-> 405"},
    ),
    Answer(
        "B",
        "the payment and shipment URLs built from the order's",
        {
            "client": (
                "        target = find_link(representation, REL + rel)\n",
                "        target = find_link(representation, REL + rel)\n"
                '        if rel != "create":\n'
                '            here = find_link(representation, "self")["href"]\n'
                '            target = {"href": here + ("/payment" if rel == "pay" else "/shipment"),\n'
                '                      "method": target["method"]}\n',
            )
        },
        fails={"test_complete_order": "-> 404"},
    ),
    Answer(
        "B",
        "find_link returns the href",
        {"client": ("    return offered[rel.lower()]", '    return offered[rel.lower()]["href"]')},
        fails={"test_find_link": "return the whole link dict", "test_complete_order": "raised TypeError"},
    ),
    Answer(
        "B",
        "relation types compared case-sensitively",
        {
            "client": (
                '    offered = {item["rel"].lower(): item for item in representation.get("links", [])}\n'
                "    if rel.lower() not in offered:",
                '    offered = {item["rel"]: item for item in representation.get("links", [])}\n'
                "    if rel not in offered:",
            ),
        },
        fails={"test_find_link": "case-insensitively"},
    ),
    Answer(
        "B",
        "the error names only the missing rel",
        {"client": ("; it offers {sorted(offered)}", "")},
        fails={"test_find_link": "should name the missing rel"},
    ),
    Answer(
        "B",
        "an error status is passed on instead of raised",
        {
            "client": (
                '            raise RuntimeError(f"{rel} failed with HTTP {response.status}")\n',
                "            return response.json()\n",
            )
        },
        fails={"test_complete_order": "must raise RuntimeError"},
    ),
    Answer(
        "B",
        "wraps the course's link and follow",
        {"client": B_WRAPPER},
        fails={"test_find_link": "graded on your own code", "test_complete_order": "graded on your own code"},
    ),
    Answer("B", "next() over the links, casefold, one loop", {"client": B_LOOP}),
    # Part C: the conditional-GET cache
    Answer(
        "C",
        "never revalidates: a plain GET each time",
        {"cache": ('            headers["If-None-Match"] = self.stored[url][0]', "            pass")},
        fails={"test_cache_revalidates": "send If-None-Match", "test_cache_many_urls": "three 304s"},
    ),
    Answer(
        "C",
        "sends If-Match instead of If-None-Match",
        {"cache": ('headers["If-None-Match"]', 'headers["If-Match"]')},
        fails={"test_cache_revalidates": "send If-None-Match", "test_cache_many_urls": "three 304s"},
    ),
    Answer(
        "C",
        "one stored copy for every URL",
        {
            "cache": (
                "        if url in self.stored and self.stored[url][0] is not None:\n"
                '            headers["If-None-Match"] = self.stored[url][0]\n',
                '        if self.stored:\n            headers["If-None-Match"] = next(iter(self.stored.values()))[0]\n',
            )
        },
        fails={"test_cache_many_urls": "three 304s"},
    ),
    Answer(
        "C",
        "keeps the first tag after a 200",
        {
            "cache": (
                '        self.stored[url] = (response.headers.get("etag"), representation)',
                '        self.stored.setdefault(url, (response.headers.get("etag"), representation))',
            )
        },
        fails={"test_cache_revalidates": "store the new body and its new ETag"},
    ),
    Answer(
        "C",
        "a 404 returns the problem instead of raising",
        {
            "cache": (
                '            raise RuntimeError(f"GET {url} answered {response.status}")',
                "            return response.json()",
            )
        },
        fails={"test_cache_many_urls": "a 404 must raise RuntimeError"},
    ),
    Answer("C", "two dicts, the stored dict returned without a copy", {"cache": C_NO_COPY}),
]


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABC")
