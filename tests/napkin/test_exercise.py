"""Exercise 14 (napkin-math) grades what learners write: wrong answers fail and say why, other right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py). Part F is a
written answer: a person grades it, so it has no answers here.
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "14-napkin-math", "napkin-math.ipynb"

FLOAT_DOWNTIME = '''SECONDS_PER = {"day": 86_400.0, "week": 7 * 86_400.0, "year": 365.2425 * 86_400}
SECONDS_PER["month"] = SECONDS_PER["year"] / 12


def downtime(availability, period):
    """Floats all the way, rounded to the microsecond by timedelta itself."""
    if period not in SECONDS_PER:
        raise ValueError(f"unknown period {period!r}")
    up = float(availability[:-1]) / 100 if isinstance(availability, str) else float(availability)
    if up < 0 or up > 1:
        raise ValueError(f"availability out of range: {availability!r}")
    return timedelta(seconds=(1 - up) * SECONDS_PER[period])
'''

PROD_COMPOSITION = """def _checked(shares):
    if len(shares) == 0 or any(not 0 <= share <= 1 for share in shares):
        raise ValueError(f"give one or more availabilities from 0 to 1, got {shares}")
    return shares


def serial(*availabilities):
    return math.prod(_checked(availabilities), start=Fraction(1))


def parallel(*availabilities):
    return 1 - serial(*(1 - share for share in _checked(availabilities)))
"""

RATE_TRANSFER = '''MEDIA = {"memory": "read 1 MB sequentially from memory", "SSD": "read 1 MB sequentially from SSD",
         "disk": "read 1 MB sequentially from disk"}


def transfer_time(size_bytes, medium, table):
    """size / rate, with the rate in bytes per second."""
    try:
        operation = MEDIA[medium]
    except KeyError:
        raise ValueError(f"no such medium {medium!r}") from None
    if operation not in table:
        raise ValueError(f"the table has no {operation!r}")
    if size_bytes < 0:
        raise ValueError("negative size")
    bytes_per_second = 1_000_000 / table[operation].seconds
    return size_bytes / bytes_per_second
'''

RECV_INTO_ROUND_TRIPS = '''def summarize(samples_s):
    if len(samples_s) == 0:
        raise ValueError("no samples")
    ordered = sorted(samples_s)
    n = len(ordered)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return RttSummary(samples_s=tuple(samples_s), median_s=median, p99_s=ordered[(99 * n + 99) // 100 - 1])


def measure_rtt(port, samples, payload=64):
    """A plain socket, recv_into a buffer, nanosecond clock."""
    if samples <= 0 or payload <= 0:
        raise ValueError("samples and payload must be positive")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    times = []
    try:
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        buffer = memoryview(bytearray(payload))
        for _ in range(samples):
            t0 = time.perf_counter_ns()
            sock.sendall(b"p" * payload)
            got = 0
            while got < payload:
                n = sock.recv_into(buffer[got:], payload - got)
                if n == 0:
                    raise ConnectionError("closed")
                got += n
            times.append((time.perf_counter_ns() - t0) / 1e9)
        buffer.release()
    finally:
        sock.close()
    return summarize(times)
'''

CONNECTION_PER_SAMPLE = """    outgoing = bytes(payload)
    spent = []
    for _ in range(samples):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as link:
            tick = time.perf_counter()
            link.sendall(outgoing)
            missing = payload
            while missing > 0:
                missing -= len(link.recv(missing))
            spent.append(time.perf_counter() - tick)
    return summarize(spent)
"""

PIPELINED = """    outgoing = bytes(payload)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as link:
        tick = time.perf_counter()
        for _ in range(samples):
            link.sendall(outgoing)
        missing = samples * payload
        while missing > 0:
            missing -= len(link.recv(65_536))
        each = (time.perf_counter() - tick) / samples
    return summarize([each] * samples)
"""

CACHED_CONNECTION = """    outgoing = bytes(payload)
    spent = []
    links = measure_rtt.__dict__.setdefault("links", {})  # reused by the next call
    if port not in links:
        links[port] = socket.create_connection(("127.0.0.1", port), timeout=5)
    link = links[port]
    for _ in range(samples):
        tick = time.perf_counter()
        link.sendall(outgoing)
        missing = payload
        while missing > 0:
            missing -= len(link.recv(missing))
        spent.append(time.perf_counter() - tick)
    return summarize(spent)
"""

REGEX_RETRY_AFTER = '''import re


def retry_after_seconds(headers, now, default=1.0):
    """A regex for delay-seconds, strptime for the IMF-fixdate."""
    lowered = {name.lower(): value for name, value in headers.items()}
    value = lowered.get("retry-after")
    if value is None:
        return default
    value = value.strip()
    if re.fullmatch(r"[0-9]+", value):
        return int(value)
    try:
        when = datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    except ValueError:
        return default
    return max(0.0, (when - now).total_seconds())
'''

MEASURE_BODY = """    outgoing = bytes(payload)
    spent = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as link:
        link.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(samples):
            tick = time.perf_counter()
            link.sendall(outgoing)
            missing = payload
            while missing > 0:
                piece = link.recv(missing)
                if not piece:
                    raise ConnectionError("the echo server closed the connection mid-echo")
                missing -= len(piece)
            spent.append(time.perf_counter() - tick)
    return summarize(spent)"""
"""The reference's measure_rtt after its argument check."""
DIGITS_CHECK = """    if given and set(given) <= set("0123456789"):
        return float(given)
"""


def _measure_body(new_body: str) -> tuple[str, str]:
    """An edit that replaces measure_rtt's body after its argument check (applied to the reference)."""
    return (MEASURE_BODY, new_body)


# fmt: off
ANSWERS = [
    # Part A: exact downtime
    Answer("A", "a 365-day year",
           {"downtime": ('"month": Fraction(31_556_952, 12), "year": 31_556_952',
                         '"month": Fraction(31_536_000, 12), "year": 31_536_000')},
           fails={"test_downtime": "365.2425-day year"}),
    Answer("A", "a month of 30 days",
           {"downtime": ('"month": Fraction(31_556_952, 12)', '"month": 30 * 86_400')},
           fails={"test_downtime": "a month is a twelfth"}),
    Answer("A", "returns float seconds",
           {"downtime": ("return timedelta(microseconds=round((1 - share) * period_s[period] * 1_000_000))",
                         "return float((1 - share) * period_s[period])")},
           fails={"test_downtime": "must return a datetime.timedelta"}),
    Answer("A", "the percentage not divided by 100",
           {"downtime": ('share = Fraction(availability.strip().rstrip("%")) / 100',
                         'share = Fraction(availability.strip().rstrip("%"))')},
           fails={"test_downtime": "got '99.99%'"}),
    Answer("A", "uptime instead of downtime",
           {"downtime": ("round((1 - share) * period_s", "round(share * period_s")},
           fails={"test_downtime": "expected 0:00:08.640000"}),
    Answer("A", "no range check",
           {"downtime": ("    if not 0 <= share <= 1:\n"
                         '        raise ValueError(f"availability must be from 0 to 1 (0% to 100%), got '
                         '{availability!r}")\n', "")},
           fails={"test_downtime": 'downtime("120%", "day") must raise ValueError'}),
    Answer("A", "floats, rounded by timedelta", {"downtime": FLOAT_DOWNTIME}),
    # Part B: series and parallel
    Answer("B", "parallel multiplies the availabilities",
           {"composition": ("all_down *= 1 - replica", "all_down *= replica")},
           fails={"test_composition": "expected 0.999999"}),
    Answer("B", "a chain as available as its weakest part",
           {"composition": ("whole *= part", "whole = min(whole, part)")},
           fails={"test_composition": "expected 0.998001"}),
    Answer("B", "floats on the way",
           {"composition": ("whole *= part", "whole *= float(part)")},
           fails={"test_composition": "must return exact Fractions"}),
    Answer("B", "serial() of nothing is 1",
           {"composition": ('    if not availabilities:\n        raise ValueError("serial needs at least one '
                            'availability")\n', "")},
           fails={"test_composition": "serial() must raise ValueError"}),
    Answer("B", "math.prod, parallel through serial", {"composition": PROD_COMPOSITION}),
    # Part C: transfer time
    Answer("C", "a MB of 2**20 bytes",
           {"transfer": ("return row.seconds * size_bytes / 1e6", "return row.seconds * size_bytes / 2**20")},
           fails={"test_transfer": "expected 0.25 s"}),
    Answer("C", "always Dean's table",
           {"transfer": ('row = table.get(f"read 1 MB', 'row = TABLES["Dean 2009"].get(f"read 1 MB')},
           fails={"test_transfer": "use the table passed in"}),
    Answer("C", "a missing row raises KeyError",
           {"transfer": ('row = table.get(f"read 1 MB sequentially from {medium}")',
                         'row = table[f"read 1 MB sequentially from {medium}"]')},
           fails={"test_transfer": "(it raised KeyError"}),
    Answer("C", "a negative size accepted",
           {"transfer": ("    if size_bytes < 0:\n"
                         '        raise ValueError(f"size_bytes must be 0 or more, got {size_bytes}")\n', "")},
           fails={"test_transfer": "transfer_time(-1, \"disk\", Dean 2009) must raise ValueError"}),
    Answer("C", "size divided by a rate in bytes per second", {"transfer": RATE_TRANSFER}),
    # Part D: summarize and measure_rtt
    Answer("D", "p99 at index int(0.99 n)",
           {"round_trips": ("ranked[nearest_rank - 1])", "ranked[min(len(ranked) - 1, int(0.99 * len(ranked)))])")},
           fails={"test_summary": "expected 0.099", "test_measure_rtt": "p99_s is not the nearest-rank"}),
    Answer("D", "the mean for the median",
           {"round_trips": ("statistics.median(ranked)", "statistics.mean(ranked)")},
           fails={"test_summary": "the median was", "test_measure_rtt": "median_s is not the median"}),
    Answer("D", "samples returned sorted",
           {"round_trips": ("RttSummary(tuple(samples_s),", "RttSummary(tuple(ranked),")},
           fails={"test_summary": "a tuple in the order given"}),
    Answer("D", "a new connection for every round trip",
           {"round_trips": _measure_body(CONNECTION_PER_SAMPLE)},
           fails={"test_measure_rtt": "accepted 100 connections, expected 1"}),
    Answer("D", "all messages sent first, then all echoes read (Nagle on)",
           {"round_trips": _measure_body(PIPELINED)},
           fails={"test_measure_rtt": "wait for all of them to come back"}),
    Answer("D", "times in milliseconds",
           {"round_trips": ("spent.append(time.perf_counter() - tick)",
                            "spent.append((time.perf_counter() - tick) * 1000)")},
           fails={"test_measure_rtt": "give each time in seconds"}),
    Answer("D", "one round trip too few",
           {"round_trips": ("for _ in range(samples):", "for _ in range(samples - 1):")},
           fails={"test_measure_rtt": "returned 99 times, expected 100"}),
    Answer("D", "the connection kept open for next time",
           {"round_trips": _measure_body(CACHED_CONNECTION)},
           fails={"test_measure_rtt": "still open after measure_rtt returned"}),
    Answer("D", "a plain socket, recv_into, nanoseconds", {"round_trips": RECV_INTO_ROUND_TRIPS}),
    # Part E: Retry-After
    Answer("E", "the header name matched exactly",
           {"retry_after": ('found = [value for name, value in headers.items() if name.lower() == "retry-after"]',
                            'found = [headers["Retry-After"]] if "Retry-After" in headers else []')},
           fails={"test_retry_after": "header names are case-insensitive"}),
    Answer("E", "int() decides what delay-seconds are",
           {"retry_after": (DIGITS_CHECK, "    try:\n        return float(int(given))\n"
                                          "    except ValueError:\n        pass\n")},
           fails={"test_retry_after": "-5 gave -5.0, expected the default"}),
    Answer("E", "str.isdigit for delay-seconds",
           {"retry_after": ('if given and set(given) <= set("0123456789"):', "if given.isdigit():")},
           fails={"test_retry_after": "only ASCII digits 0-9"}),
    Answer("E", "a date in the past gives a negative wait",
           {"retry_after": ("return max(0.0, (until - now).total_seconds())",
                            "return (until - now).total_seconds()")},
           fails={"test_retry_after": "an HTTP-date in the past gave -60.0"}),
    Answer("E", "delay-seconds only",
           {"retry_after": ("until = email.utils.parsedate_to_datetime(given)", "until = float(given)")},
           fails={"test_retry_after": "expected 30.0"}),
    Answer("E", "a regex and strptime", {"retry_after": REGEX_RETRY_AFTER}),
]
# fmt: on


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABCDE")
