"""mlci.prometheus against a real Prometheus, and against answers a real one never gives."""

from __future__ import annotations

import contextlib
import http.server
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_server import free_port, openmetrics, prometheus

from mlci.errors import UsageError
from mlci.prometheus import Prometheus, PrometheusUnavailable, parse_duration


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    """10 minutes of two deployments' request counters, 600 req/min each, 1% vs 2% errors.

    Yields the URL and the time the recording ends; queries are evaluated at it.
    """
    now = time.time()
    start = now - 600
    series: dict[str, list[tuple[float, float]]] = {}
    for deployment, errors_per_min in (("stable", 6), ("canary", 12)):
        ok_key = f'http_requests_total{{code="200",deployment="{deployment}"}}'
        err_key = f'http_requests_total{{code="500",deployment="{deployment}"}}'
        series[ok_key] = [(start + 15 * i, (600 - errors_per_min) * i / 4) for i in range(41)]
        series[err_key] = [(start + 15 * i, errors_per_min * i / 4) for i in range(41)]
    with prometheus(tmp_path_factory.mktemp("prom"), recorded=openmetrics(series)) as url:
        yield url, now


def test_instant_query_returns_labelled_samples(recorded: tuple[str, float]) -> None:
    client = Prometheus(recorded[0])
    samples = client.query(
        "sum by (deployment) (increase(http_requests_total[5m]))", at=recorded[1]
    )
    by_deployment = {s.labels["deployment"]: s.value for s in samples}
    assert set(by_deployment) == {"stable", "canary"}
    # 600 requests a minute over 5 minutes, extrapolated by increase(): about 3000
    assert 2800 < by_deployment["stable"] < 3200


def test_error_ratio_of_each_side(recorded: tuple[str, float]) -> None:
    client = Prometheus(recorded[0])
    ratio = (
        'sum(rate(http_requests_total{{deployment="{d}",code=~"5.."}}[5m]))'
        ' / sum(rate(http_requests_total{{deployment="{d}"}}[5m]))'
    )
    stable = client.value(ratio.format(d="stable"), at=recorded[1])
    canary = client.value(ratio.format(d="canary"), at=recorded[1])
    assert stable is not None and canary is not None
    assert stable == pytest.approx(0.01, rel=0.05)
    assert canary == pytest.approx(0.02, rel=0.05)


def test_scalar_answer_is_one_unlabelled_sample(recorded: tuple[str, float]) -> None:
    samples = Prometheus(recorded[0]).query("scalar(vector(3))")
    assert len(samples) == 1 and samples[0].labels == {} and samples[0].value == 3.0


def test_no_data_is_none_and_nan_is_none(recorded: tuple[str, float]) -> None:
    client = Prometheus(recorded[0])
    assert client.value('sum(rate(http_requests_total{deployment="nope"}[5m]))') is None
    assert client.value("vector(0) / vector(0)") is None


def test_range_query_returns_points_at_each_step(recorded: tuple[str, float]) -> None:
    series = Prometheus(recorded[0]).query_range(
        'sum(rate(http_requests_total{deployment="canary"}[1m]))',
        start=recorded[1] - 300, end=recorded[1] - 60, step=60,
    )  # fmt: skip
    assert len(series) == 1
    points = series[0].points
    assert len(points) == 5
    assert all(9.0 < value < 11.0 for _, value in points)  # 600/min = 10/s
    assert [round(b[0] - a[0]) for a, b in itertools.pairwise(points)] == [60] * 4


def test_evaluation_at_a_past_instant(recorded: tuple[str, float]) -> None:
    client = Prometheus(recorded[0])
    before = client.value("sum(http_requests_total)", at=recorded[1] - 300)
    after = client.value("sum(http_requests_total)", at=recorded[1] - 60)
    assert before is not None and after is not None and after > before


def test_many_series_where_one_number_is_needed_is_a_usage_error(
    recorded: tuple[str, float],
) -> None:
    with pytest.raises(UsageError, match="expected one number"):
        Prometheus(recorded[0]).value("http_requests_total")


def test_bad_promql_is_a_usage_error_quoting_prometheus(recorded: tuple[str, float]) -> None:
    with pytest.raises(UsageError, match=r"rejected the query \(bad_data\)"):
        Prometheus(recorded[0]).query("sum(rate(http_requests_total[5m]")


def test_unreachable_server_is_unavailable_not_usage() -> None:
    client = Prometheus(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(PrometheusUnavailable, match="unreachable") as info:
        client.query("up")
    assert not isinstance(info.value, UsageError)


# -- answers a real Prometheus does not give: a stand-in HTTP server -------------------

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@pytest.fixture
def stand_in() -> Iterator[Callable[[Handler], str]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(handle: Handler) -> str:
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                handle(self)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def reply(status: int, body: bytes, content_type: str = "application/json") -> Handler:
    def handle(req: http.server.BaseHTTPRequestHandler) -> None:
        req.rfile.read(int(req.headers.get("Content-Length", 0)))
        req.send_response(status)
        req.send_header("Content-Type", content_type)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    return handle


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b"<html>login</html>", "not a JSON object"),
        (200, b"[1, 2]", "not a JSON object"),
        (
            200,
            b'{"status": "success", "data": {"resultType": "vector", "result": {}}}',
            "not a list",
        ),
        (
            200,
            b'{"status": "success", "data": {"resultType": "vector", "result": [{"value": [1, 2]}]}}',
            "not \\[time",
        ),
        (
            200,
            b'{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {"a": 1}, "value": [1, "2"]}]}}',
            "label map",
        ),
        (
            200,
            b'{"status": "success", "data": {"resultType": "string", "result": [1, "x"]}}',
            "'string'",
        ),
        (200, b'{"status": "weird"}', "neither success nor error"),
        (404, b"404 page not found", "is the URL a Prometheus server"),
        (401, b"Unauthorized", "check the bearer token secret"),
    ],
)
def test_malformed_answers_are_usage_errors(
    stand_in: Callable[[Handler], str], status: int, body: bytes, message: str
) -> None:
    url = stand_in(reply(status, body))
    with pytest.raises(UsageError, match=message):
        Prometheus(url).query("up")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, b"Service Unavailable"),
        (502, b"<html>bad gateway</html>"),
        (503, b'{"status": "error", "errorType": "timeout", "error": "query timed out"}'),
        (422, b'{"status": "error", "errorType": "canceled", "error": "context canceled"}'),
    ],
)
def test_server_side_trouble_is_unavailable(
    stand_in: Callable[[Handler], str], status: int, body: bytes
) -> None:
    with pytest.raises(PrometheusUnavailable):
        Prometheus(stand_in(reply(status, body))).query("up")


def test_slow_server_times_out_as_unavailable(stand_in: Callable[[Handler], str]) -> None:
    def slow(req: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(1)
        with contextlib.suppress(OSError):  # the client has hung up by now
            reply(200, b"{}")(req)

    with pytest.raises(PrometheusUnavailable):
        Prometheus(stand_in(slow), timeout=0.3).query("up")


def test_bearer_token_is_sent_and_never_shown(stand_in: Callable[[Handler], str]) -> None:
    token = "s3cr3t-token-value"
    seen: list[str] = []

    def echo_auth(req: http.server.BaseHTTPRequestHandler) -> None:
        seen.append(req.headers.get("Authorization", ""))
        # a proxy that echoes the credential back in its error text
        body = json.dumps({"status": "error", "errorType": "bad_data", "error": f"bad {token}"})
        reply(400, body.encode())(req)

    client = Prometheus(stand_in(echo_auth), token=token)
    with pytest.raises(UsageError) as info:
        client.query("up")
    assert seen == [f"Bearer {token}"]
    assert token not in str(info.value) and "***" in str(info.value)
    assert token not in repr(client) and "token=***" in repr(client)


def test_no_token_sends_no_authorization(stand_in: Callable[[Handler], str]) -> None:
    seen: list[str | None] = []

    def record(req: http.server.BaseHTTPRequestHandler) -> None:
        seen.append(req.headers.get("Authorization"))
        reply(200, b'{"status":"success","data":{"resultType":"vector","result":[]}}')(req)

    assert Prometheus(stand_in(record)).query("up") == []
    assert seen == [None]


def test_url_user_info_is_dropped_from_what_is_shown() -> None:
    client = Prometheus("https://user:pw@prom.example:9090/prefix/")
    assert client.url == "https://prom.example:9090/prefix"
    assert "pw" not in repr(client)


@pytest.mark.parametrize("url", ["prometheus:9090", "ftp://x", "", "http://"])
def test_bad_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError, match="not a Prometheus URL"):
        Prometheus(url)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("5m", 300), ("1h", 3600), ("500ms", 0.5)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert math.isclose(parse_duration(text), seconds)


@pytest.mark.parametrize("text", ["5", "m", "-1m", "0s", "1y", "five minutes"])
def test_bad_duration_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="duration"):
        parse_duration(text)


def test_fixture_writes_valid_openmetrics(tmp_path: Path) -> None:
    text = openmetrics({'m_total{a="b"}': [(1.0, 2.0)]})
    assert text == '# TYPE m counter\nm_total{a="b"} 2.0 1.000\n# EOF\n'
