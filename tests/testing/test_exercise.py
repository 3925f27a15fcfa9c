"""Exercise 11 (release-safely) grades what learners write: wrong answers fail and say why, other right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py). Part E is a
written answer: a person grades it, so it has no answers here.
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "11-testing", "release-safely.ipynb"

CEIL_LINE = "return math.ceil((z_alpha + z(power)) ** 2 * spread / (p_control - p_canary) ** 2)"
"""The reference's last line of Part B."""

RATIO_FORM = '''def availability(mtbf_h: float, mttr_h: float) -> float:
    """1 / (1 + MTTR/MTBF): the same thing, from the ratio."""
    if mtbf_h <= 0 or mttr_h < 0:
        raise ValueError(f"need mtbf_h > 0 and mttr_h >= 0, got {mtbf_h} and {mttr_h}")
    return 1 / (1 + mttr_h / mtbf_h)


def downtime_s(availability: float, period_s: float) -> float:
    """period minus the time up."""
    if not (0 <= availability <= 1) or period_s <= 0:
        raise ValueError(f"bad availability {availability} or period {period_s}")
    return period_s - availability * period_s
'''

NORMALDIST_BY_NAME = '''def canary_sample_size(p_control, p_canary, alpha=0.05, power=0.8, two_sided=True):
    """Requests per arm, with the normal quantiles spelled out."""
    if not all(0 < v < 1 for v in (p_control, p_canary, alpha, power)) or p_control == p_canary:
        raise ValueError("rates, alpha and power must be strictly between 0 and 1, and the rates must differ")
    normal = NormalDist()
    tail = alpha / 2 if two_sided else alpha
    total = normal.inv_cdf(1 - tail) + normal.inv_cdf(power)
    variance = sum(p * (1 - p) for p in (p_control, p_canary))
    return int(math.ceil(total**2 * variance / (p_canary - p_control) ** 2))
'''

P_VALUE = '''def canary_verdict(control_ok, control_err, canary_ok, canary_err, alpha=0.05, min_requests=1000):
    """The verdict from a one-sided p-value."""
    arms = [(control_ok + control_err, control_err), (canary_ok + canary_err, canary_err)]
    if any(n < min_requests for n, _ in arms):
        return "wait"
    (n1, e1), (n2, e2) = arms
    pooled = (e1 + e2) / (n1 + n2)
    if pooled == 0 or pooled == 1:
        return "promote"
    score = (e2 / n2 - e1 / n1) / (pooled * (1 - pooled) * (1 / n1 + 1 / n2)) ** 0.5
    p_value = 1 - NormalDist().cdf(score)
    return "rollback" if p_value < alpha else "promote"
'''

STUB_BY_HAND = '''class PaymentStub(BackgroundServer):
    """A stub payment service that writes its replies by hand."""

    def __init__(self, status: int, body: dict, delay_s: float = 0.0) -> None:
        super().__init__()
        self.reply = (status, json.dumps(body).encode())
        self.delay_s = delay_s
        self.requests = []
        self.stop_event = threading.Event()

    @property
    def url(self) -> str:
        return "http://" + HOST + ":" + str(self.port)

    def _before_stop(self) -> None:
        self.stop_event.set()

    def start(self):
        self.stop_event.clear()
        return super().start()

    def _make_server(self) -> JoiningHTTPServer:
        outer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                outer.requests.append(json.loads(self.rfile.read(length)))
                if outer.stop_event.wait(outer.delay_s):
                    return
                status, payload = outer.reply
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return JoiningHTTPServer((HOST, self._port), Handler)


def check_unavailable(stub_url: str) -> None:
    client = PaymentClient(stub_url)
    try:
        client.charge("order-1", 500)
    except PaymentUnavailable:
        pass
    else:
        raise AssertionError("expected PaymentUnavailable for a 503")
'''

# fmt: off
ANSWERS = [
    # Part A: availability and downtime
    Answer("A", "1 - MTTR/MTBF (the ratio the notes seem to name)",
           {"availability": ("return mtbf_h / (mtbf_h + mttr_h)", "return 1 - mttr_h / mtbf_h")},
           fails={"test_availability": "availability(1440, 0.5) gave"}),
    Answer("A", "an MTTR of zero refused",
           {"availability": ("if not mttr_h >= 0:", "if not mttr_h > 0:")},
           fails={"test_availability": "mttr_h must be >= 0, got 0.0"}),
    Answer("A", "downtime from the availability itself",
           {"availability": ("return (1 - availability) * period_s", "return availability * period_s")},
           fails={"test_availability": "expected 86.4"}),
    Answer("A", "no check on the availability's range",
           {"availability": ('    if not 0 <= availability <= 1:\n'
                             '        raise ValueError(f"availability must be from 0 to 1, got {availability}")\n',
                             "")},
           fails={"test_availability": "downtime_s(1.5, 10) must raise ValueError"}),
    Answer("A", "from the ratio, downtime as period minus uptime", {"availability": RATIO_FORM}),
    # Part B: sample size
    Answer("B", "rounded to the nearest request",
           {"sample_size": ("return math.ceil(", "return round(")},
           fails={"test_sample_size": "expected 23508"}),
    Answer("B", "always z(1 - alpha)",
           {"sample_size": ("z_alpha = z(1 - alpha / 2) if two_sided else z(1 - alpha)", "z_alpha = z(1 - alpha)")},
           fails={"test_sample_size": "expected 23508"}),
    Answer("B", "a pooled variance 2 p(1 - p)",
           {"sample_size": ("spread = p_control * (1 - p_control) + p_canary * (1 - p_canary)",
                            "pbar = (p_control + p_canary) / 2\n    spread = 2 * pbar * (1 - pbar)")},
           fails={"test_sample_size": "expected 23508"}),
    Answer("B", "equal rates divide by zero",
           {"sample_size": ("    if p_control == p_canary:\n"
                            '        raise ValueError("p_canary must differ from p_control")\n', "")},
           fails={"test_sample_size": "equal rates (0.01, 0.01) must raise ValueError"}),
    Answer("B", "returns a float",
           {"sample_size": (CEIL_LINE, CEIL_LINE.replace("math.ceil(", "float(math.ceil(") + ")")},
           fails={"test_sample_size": "must return an int"}),
    Answer("B", "NormalDist by name, total squared", {"sample_size": NORMALDIST_BY_NAME}),
    # Part C: verdict
    Answer("C", "two-sided threshold z(1 - alpha / 2)",
           {"verdict": ("score > z(1 - alpha)", "score > z(1 - alpha / 2)")},
           fails={"test_verdict": "expected 'rollback'"}),
    Answer("C", "waits only while both arms are small",
           {"verdict": ("n1 < min_requests or n2 < min_requests", "n1 < min_requests and n2 < min_requests")},
           fails={"test_verdict": "expected 'wait'"}),
    Answer("C", "rolls back a better canary too (|z|)",
           {"verdict": ("score > z(1 - alpha)", "abs(score) > z(1 - alpha)")},
           fails={"test_verdict": "expected 'promote'"}),
    Answer("C", "no guard when nothing failed",
           {"verdict": ('    if pooled in (0, 1):\n        return "promote"\n', "")},
           fails={"test_verdict": "division by zero"}),
    Answer("C", "a one-sided p-value", {"verdict": P_VALUE}),
    # Part D: the stub and the service test
    Answer("D", "sleeps on a fresh Event, so a stop waits for the delay",
           {"stub": ("stub._stopping.wait(stub.delay_s)", "threading.Event().wait(stub.delay_s)")},
           fails={"test_stub": "to stop with a delayed reply waiting"}),
    Answer("D", "the body sent as text, not JSON",
           {"stub": ("self.send_json(stub.status, stub.body)",
                     'self.send_body(stub.status, str(stub.body).encode(), "text/plain")')},
           fails={"test_stub": "answered 201"}),
    Answer("D", "requests not recorded",
           {"stub": ("                stub.requests.append(json.loads(raw) if raw else None)\n", "")},
           fails={"test_stub": "stub.requests was []"}),
    Answer("D", "a service test that passes whatever happens",
           {"stub": ('    raise AssertionError("a 503 from the payment service must raise PaymentUnavailable")', "")},
           fails={"test_stub": "must raise AssertionError when the payment service answers 201"}),
    Answer("D", "replies written by hand, try/except/else", {"stub": STUB_BY_HAND}),
]
# fmt: on


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABCD")
