"""Numbers every engineer should know: nines, composition, the classic latency tables and a model (lesson 14).

Everything here is exact where it can be: availabilities and downtimes are ``Fraction``\\ s
(a year is 365.2425 days, the Gregorian mean, and a month a twelfth of it, as the
system-design primer uses), so "99.99% is 8.64 s a day" is checked to the last digit,
never to a float's rounding.

The latency tables are data with their sources: Norvig's 2001 table, Jeff Dean's 2009
slides as the 2012 gist gives them (with its SSD rows), the primer's 30 ms/MB variant that
produced the notes' "HDD = 30x SSD = 120x memory", and napkin-math's table re-measured in
March 2026. ``scott_model(year)`` is Colin Scott's interactive page, a *model* that
extrapolates trends from a chosen year (written here from the assumptions its page states).

Sections:
    * nines: ``PERIODS_S``, ``availability``, ``nines``, ``downtime_s``, ``duration_text``
    * composition: ``serial``, ``parallel``
    * tables: ``Row``, ``TABLES``, ``OPERATIONS``, ``table_seconds``, ``transfer_time_s``, ``ratio``
    * the model: ``scott_model``
    * physics: ``fibre_rtt_s``, ``great_circle_km``
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from helpers import checks

__all__ = [
    "C_KM_PER_S",
    "FIBRE_INDEX",
    "OPERATIONS",
    "PERIODS_S",
    "TABLES",
    "Row",
    "availability",
    "downtime_s",
    "duration_text",
    "fibre_rtt_s",
    "great_circle_km",
    "nines",
    "parallel",
    "ratio",
    "scott_model",
    "serial",
    "table_seconds",
    "transfer_time_s",
]

# --- nines ---------------------------------------------------------------------------------------

DAY_S = 86_400
YEAR_S = DAY_S * Fraction(3_652_425, 10_000)  # 365.2425 days: 31,556,952 s exactly
PERIODS_S: dict[str, Fraction] = {
    "day": Fraction(DAY_S),
    "week": Fraction(7 * DAY_S),
    "month": YEAR_S / 12,
    "year": YEAR_S,
}
"""Seconds in each period: a year is 365.2425 days (the Gregorian mean), a month a twelfth of it."""


def availability(value: object) -> Fraction:
    """An availability as an exact fraction: from a Fraction, an int, a float or a string such as "99.99%".

    A float is read as the decimal it prints as (0.9999 is 9999/10000, not its binary neighbour).

    Examples:
        >>> availability("99.99%"), availability(0.999), availability(Fraction(1, 2))
        (Fraction(9999, 10000), Fraction(999, 1000), Fraction(1, 2))
        >>> availability("120%")
        Traceback (most recent call last):
        ...
        ValueError: availability must be from 0 to 1 (or "0%" to "100%"), got '120%'
    """
    result: Fraction | None = None
    try:
        if isinstance(value, str):
            text = value.strip()
            result = Fraction(text[:-1].strip()) / 100 if text.endswith("%") else Fraction(text)
        elif isinstance(value, Fraction) or (isinstance(value, int) and not isinstance(value, bool)):
            result = Fraction(value)
        elif isinstance(value, float) and math.isfinite(value):
            result = Fraction(repr(value))
    except (ValueError, ZeroDivisionError):
        result = None
    if result is None or not 0 <= result <= 1:
        raise ValueError(f'availability must be from 0 to 1 (or "0%" to "100%"), got {value!r}')
    return result


def nines(count: float) -> Fraction:
    """The availability of ``count`` nines: 3 is 99.9%; a half counts as a 5 (3.5 nines is 99.95%).

    Examples:
        >>> nines(4), nines(3.5)
        (Fraction(9999, 10000), Fraction(1999, 2000))
    """
    doubled = count * 2 if isinstance(count, (int, float)) and not isinstance(count, bool) else None
    if doubled is None or doubled != int(doubled) or not 2 <= doubled <= 20:
        raise ValueError(f"count must be a whole or half number of nines from 1 to 10, got {count!r}")
    whole = int(doubled) // 2
    if int(doubled) % 2:
        return 1 - Fraction(5, 10 ** (whole + 1))
    return 1 - Fraction(1, 10**whole)


def downtime_s(value: object, period: str) -> Fraction:
    """Seconds of downtime an availability allows per ``period`` ("day", "week", "month" or "year"), exactly.

    Examples:
        >>> float(downtime_s("99.99%", "day")), float(downtime_s("99.9%", "day"))
        (8.64, 86.4)
        >>> float(downtime_s("99.99%", "week"))  # the primer says 1 m 5 s: it is 1 m 0.48 s
        60.48
    """
    checks.choice("period", period, PERIODS_S)
    return (1 - availability(value)) * PERIODS_S[period]


def duration_text(seconds: object) -> str:
    """A duration as the lesson's table writes it: "8.64 s", "1 m 26.4 s", "8 h 45 m 57 s", "3.65 d".

    Under 1 µs in ns, under 1 ms in µs, under 0.1 s in ms and under 10 s in seconds, to three
    significant digits; under a minute, one decimal; under an hour, minutes and seconds to one
    decimal; under a day, hours, minutes and whole seconds; else days to two decimals. A
    trailing ".0" is dropped.

    Examples:
        >>> [duration_text(downtime_s(a, "day")) for a in ("99%", "99.9%", "99.99%", "99.999%")]
        ['14 m 24 s', '1 m 26.4 s', '8.64 s', '0.864 s']
        >>> duration_text(downtime_s("99.9%", "year")), duration_text(downtime_s("99%", "year"))
        ('8 h 45 m 57 s', '3.65 d')
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, Fraction)) or not seconds >= 0:
        raise ValueError(f"seconds must be a number >= 0, got {seconds!r}")
    value = float(seconds)

    def tidy(text: str) -> str:
        return text[:-2] if text.endswith(".0") else text

    if value == 0:
        return "0 s"
    if value < 1e-6:
        return f"{value * 1e9:.3g} ns"
    if value < 1e-3:
        return f"{value * 1e6:.3g} µs"
    if value < 0.1:
        return f"{value * 1e3:.3g} ms"
    if value < 10:
        return f"{value:.3g} s"
    if value < 60:
        return f"{tidy(f'{value:.1f}')} s"
    if value < 3_600:
        tenths = round(value * 10)
        minutes, rest = divmod(tenths, 600)
        return f"{minutes} m {tidy(f'{rest / 10:.1f}')} s"
    if value < DAY_S:
        whole = round(value)
        hours, rest = divmod(whole, 3_600)
        return f"{hours} h {rest // 60} m {rest % 60} s"
    return f"{value / DAY_S:.2f} d"


# --- composition ---------------------------------------------------------------------------------


def serial(*availabilities: object) -> Fraction:
    """The availability of parts that must all be up: the product (lesson 14, section 2).

    Examples:
        >>> serial("99.9%", "99.9%")
        Fraction(998001, 1000000)
    """
    if not availabilities:
        raise ValueError("serial needs at least one availability, got none")
    return math.prod((availability(a) for a in availabilities), start=Fraction(1))


def parallel(*availabilities: object) -> Fraction:
    """The availability of redundant parts, any one of which is enough: 1 - the product of the downs.

    Assumes the parts fail independently, which shared power, networks and deploys break.

    Examples:
        >>> parallel("99.9%", "99.9%")
        Fraction(999999, 1000000)
    """
    if not availabilities:
        raise ValueError("parallel needs at least one availability, got none")
    return 1 - math.prod((1 - availability(a) for a in availabilities), start=Fraction(1))


# --- the classic tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One number of a table: what it times, how long, and where it comes from."""

    operation: str
    seconds: float
    source: str


OPERATIONS = (
    "L1 cache reference",
    "branch mispredict",
    "L2 cache reference",
    "mutex lock/unlock",
    "main memory reference",
    "random memory read (independent)",
    "system call",
    "context switch",
    "round trip over loopback",
    "send 2 KB over the network",
    "SSD random read",
    "read 1 MB sequentially from memory",
    "round trip in the same data centre",
    "read 1 MB sequentially from SSD",
    "disk seek",
    "read 1 MB sequentially from disk",
    "round trip California-Netherlands",
)
"""The operations the tables time, fastest first (a table gives some of them)."""

_NORVIG = "Norvig, Teach Yourself Programming in Ten Years (2001), answers table"
_DEAN = "Dean, LADIS 2009 keynote slides, as given by the jboner gist (2012)"
_GIST = "jboner's gist (2012), the SSD rows it added to Dean's list"
_PRIMER = "donnemartin/system-design-primer, latency numbers (HDD at 30 ms/MB)"
_NAPKIN = "sirupsen/napkin-math README, re-measured March 2026"

TABLES: dict[str, dict[str, Row]] = {
    "Norvig 2001": {
        row.operation: row
        for row in (
            Row("L1 cache reference", 0.5e-9, _NORVIG),
            Row("branch mispredict", 5e-9, _NORVIG),
            Row("L2 cache reference", 7e-9, _NORVIG),
            Row("mutex lock/unlock", 25e-9, _NORVIG),
            Row("main memory reference", 100e-9, _NORVIG),
            Row("read 1 MB sequentially from memory", 250e-6, _NORVIG),
            Row("disk seek", 8e-3, _NORVIG),
            Row("read 1 MB sequentially from disk", 20e-3, _NORVIG),
            Row("round trip California-Netherlands", 150e-3, _NORVIG),
        )
    },
    "Dean 2009": {
        row.operation: row
        for row in (
            Row("L1 cache reference", 0.5e-9, _DEAN),
            Row("branch mispredict", 5e-9, _DEAN),
            Row("L2 cache reference", 7e-9, _DEAN),
            Row("mutex lock/unlock", 25e-9, _DEAN),
            Row("main memory reference", 100e-9, _DEAN),
            Row("send 2 KB over the network", 20e-6, _DEAN),
            Row("SSD random read", 150e-6, _GIST),
            Row("read 1 MB sequentially from memory", 250e-6, _DEAN),
            Row("round trip in the same data centre", 500e-6, _DEAN),
            Row("read 1 MB sequentially from SSD", 1e-3, _GIST),
            Row("disk seek", 10e-3, _DEAN),
            Row("read 1 MB sequentially from disk", 20e-3, _DEAN),
            Row("round trip California-Netherlands", 150e-3, _DEAN),
        )
    },
    "primer (30 ms/MB disk)": {
        row.operation: row
        for row in (
            Row("main memory reference", 100e-9, _PRIMER),
            Row("SSD random read", 150e-6, _PRIMER),
            Row("read 1 MB sequentially from memory", 250e-6, _PRIMER),
            Row("round trip in the same data centre", 500e-6, _PRIMER),
            Row("read 1 MB sequentially from SSD", 1e-3, _PRIMER),
            Row("disk seek", 10e-3, _PRIMER),
            Row("read 1 MB sequentially from disk", 30e-3, _PRIMER),
            Row("round trip California-Netherlands", 150e-3, _PRIMER),
        )
    },
    "napkin-math 2026": {
        row.operation: row
        for row in (
            Row("random memory read (independent)", 20e-9, _NAPKIN),
            Row("system call", 300e-9, _NAPKIN),
            Row("context switch", 10e-6, _NAPKIN),
            Row("SSD random read", 100e-6, _NAPKIN + " (8 KiB)"),
            Row("read 1 MB sequentially from memory", 10**6 / (20 * 2**30), _NAPKIN + " (20 GiB/s)"),
            Row("read 1 MB sequentially from SSD", 10**6 / (8 * 2**30), _NAPKIN + " (8 GiB/s)"),
            Row("disk seek", 10e-3, _NAPKIN + " (HDD random read)"),
            Row("read 1 MB sequentially from disk", 10**6 / (250 * 2**20), _NAPKIN + " (250 MiB/s)"),
        )
    },
}
"""The classic tables as data, each row with its source (lesson 14, section 3)."""


def table_seconds(table: str, operation: str) -> float:
    """Seconds ``table`` gives for ``operation``; ValueError naming either when it has none.

    Examples:
        >>> table_seconds("Dean 2009", "main memory reference")
        1e-07
    """
    checks.choice("table", table, TABLES)
    rows = TABLES[table]
    if operation not in rows:
        raise ValueError(f"operation must be one of {sorted(rows)} for {table}, got {operation!r}")
    return rows[operation].seconds


_MEDIA = {"memory": "read 1 MB sequentially from memory", "SSD": "read 1 MB sequentially from SSD",
          "disk": "read 1 MB sequentially from disk"}  # fmt: skip


def transfer_time_s(size_bytes: int, medium: str, table: Mapping[str, Row]) -> float:
    """Seconds to read ``size_bytes`` sequentially from ``medium`` at the 1 MB rate ``table`` gives.

    ``medium`` is "memory", "SSD" or "disk"; every table's row times 1 MB = 10**6 bytes
    (napkin-math's rates in GiB/s are converted to that). See lesson 14, section 8.

    Examples:
        >>> round(transfer_time_s(10**9, "memory", TABLES["Dean 2009"]), 6)
        0.25
    """
    size = checks.count("size_bytes", size_bytes, minimum=0)
    checks.choice("medium", medium, _MEDIA)
    if not isinstance(table, Mapping) or _MEDIA[medium] not in table:
        raise ValueError(f"table has no row {_MEDIA[medium]!r}: pick one of TABLES' tables that times {medium}")
    return table[_MEDIA[medium]].seconds * size / 10**6


def ratio(table: str, slow: str, fast: str) -> float:
    """How many times slower ``slow`` is than ``fast`` in ``table`` (lesson 14, section 3).

    Examples:
        >>> ratio("primer (30 ms/MB disk)", "read 1 MB sequentially from disk", "read 1 MB sequentially from SSD")
        30.0
    """
    return table_seconds(table, slow) / table_seconds(table, fast)


# --- Colin Scott's model -------------------------------------------------------------------------


def scott_model(year: int) -> dict[str, float]:
    """Colin Scott's "Numbers every programmer should know by year": seconds per operation in ``year``.

    A model, not measurements: the clock doubles every two years until it stops at 3 GHz in
    2005; memory latency falls 7% a year until 100 ns in 2000; NIC bandwidth doubles every two
    years from 1 Gb/s in 2003; DRAM bandwidth doubles every three years from 4 GB/s in 2001;
    SSD latency falls until 16 µs in 2014 and SSD bandwidth doubles every three years from
    3 GB/s in 2012; seek time halves every ten years from 10 ms in 2000; disk bandwidth
    doubles every two years until 100 MB/s in 2002, then every five. The page's own
    exponents (0.33 for a third) are kept, so its 2020 numbers come out exactly.

    Examples:
        >>> model = scott_model(2020)
        >>> round(model["L1 cache reference"] * 1e9, 1), round(model["read 1 MB sequentially from disk"] * 1e6)
        (1.0, 825)
    """
    year = checks.integer("year", year, 1990, 2030)
    shift = year - 1982  # the page counts years from 1982
    hz = 3e9 / 2 ** ((2005 - 1982) * 0.5) * 2 ** (shift / 2) if year <= 2005 else 3e9
    cycle_ns = 1e9 / hz
    memory_ns = 100.0 / 0.93 ** (2000 - 1982) * 0.93**shift if year <= 2000 else 100.0
    nic = 125e6 / 2 ** ((2003 - 1982) * 0.5) * 2 ** (shift / 2)
    dram = 4e9 / 2 ** ((2001 - 1982) * 0.33) * 2 ** (shift / 3)
    if year <= 2014:
        ssd_ns = 2e4 / (1 / 20) ** ((2012 - 1982) * 0.22) * ((1 / 20) ** (1 / 4.5)) ** shift
    else:
        ssd_ns = 16_000.0
    ssd = 3e9 / 2 ** ((2012 - 1982) * 0.33) * 2 ** (shift / 3)
    seek_ns = 1e7 / 0.5 ** ((2000 - 1982) * 0.1) * 0.5 ** (shift * 0.1)
    if year <= 2002:
        disk = 1e8 / 2 ** ((2002 - 1982) * 0.5) * 2 ** (shift / 2)
    else:
        disk = 1e8 / 2 ** ((2002 - 1982) * 0.2) * 2 ** (shift / 5)
    ns = {
        "L1 cache reference": 3 * cycle_ns,
        "branch mispredict": 10 * cycle_ns,
        "L2 cache reference": 13 * cycle_ns,
        "mutex lock/unlock": 50 * cycle_ns,
        "main memory reference": memory_ns,
        "send 2 KB over the network": 2_000 / nic * 1e9,
        "SSD random read": ssd_ns,
        "read 1 MB sequentially from memory": 1e6 / dram * 1e9,
        "round trip in the same data centre": 500_000.0,
        "read 1 MB sequentially from SSD": 1e6 / ssd * 1e9,
        "disk seek": seek_ns,
        "read 1 MB sequentially from disk": 1e6 / disk * 1e9,
        "round trip California-Netherlands": 150e6,
    }
    return {operation: value / 1e9 for operation, value in ns.items()}


# --- physics -------------------------------------------------------------------------------------

C_KM_PER_S = 299_792.458
"""The speed of light in vacuum, km/s (exact by definition of the metre)."""

FIBRE_INDEX = 1.47
"""Refractive index of optical fibre: light in fibre goes at c / 1.47, about 204,000 km/s."""

EARTH_RADIUS_KM = 6_371.0
"""The Earth's mean radius (IUGG), for great-circle distances."""


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (latitude, longitude) points in degrees (haversine).

    Examples:
        >>> round(great_circle_km((37.7749, -122.4194), (52.3676, 4.9041)))
        8773
    """
    for name, point in (("a", a), ("b", b)):
        if not (isinstance(point, tuple) and len(point) == 2 and -90 <= point[0] <= 90 and -180 <= point[1] <= 180):
            raise ValueError(f"{name} must be a (latitude, longitude) pair in degrees, got {point!r}")
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def fibre_rtt_s(distance_km: float, index: float = FIBRE_INDEX) -> float:
    """The least round-trip time over ``distance_km`` of fibre: there and back at c / ``index``.

    Examples:
        >>> round(fibre_rtt_s(8_773) * 1000)
        86
    """
    distance = checks.positive("distance_km", distance_km)
    n = checks.number("index", index, 1.0, 2.0)
    return 2 * distance / (C_KM_PER_S / n)
