"""mlci/github.py against the fake GitHub that validates every call against GitHub's OpenAPI."""

from __future__ import annotations

import json
import socket
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from github_fake import SECONDARY, FakeGitHub, load_openapi

from mlci.github import (
    Forbidden,
    GitHub,
    GitHubError,
    NotFound,
    RateLimited,
    Unprocessable,
    Unreachable,
    api_url_from_env,
    parse_link,
    token_from_env,
)

TOKEN = "fake-token"
REPO = "octo/ml"


class Sleeps(list[float]):
    """Records the waits the client asks for instead of sleeping them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(fake: FakeGitHub, **kwargs: object) -> GitHub:
    return GitHub(api_url=fake.api_url, token=TOKEN, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- environment


def test_env_names_base_and_token() -> None:
    assert api_url_from_env({}) == "https://api.github.com"
    assert api_url_from_env({"GITHUB_API_URL": "https://ghe.example/api/v3/"}) == (
        "https://ghe.example/api/v3"
    )
    assert token_from_env({"GH_TOKEN": "b"}) == "b"
    assert token_from_env({"GITHUB_TOKEN": "a", "GH_TOKEN": "b"}) == "a"
    assert token_from_env({"GITHUB_TOKEN": ""}) is None
    gh = GitHub.from_env({"GITHUB_API_URL": "http://127.0.0.1:9", "GITHUB_TOKEN": "s3cret"})
    assert gh.api_url == "http://127.0.0.1:9"
    assert "s3cret" not in repr(gh)


def test_parse_link() -> None:
    header = '<https://x/r?page=2>; rel="next", <https://x/r?page=5>; rel="last"'
    assert parse_link(header) == {"next": "https://x/r?page=2", "last": "https://x/r?page=5"}
    assert parse_link(None) == {}


# ---------------------------------------------------------------- comments


def test_comments_create_list_update(github: FakeGitHub) -> None:
    gh = client(github)
    created = gh.create_issue_comment(REPO, 7, "first")
    assert created["body"] == "first"
    updated = gh.update_issue_comment(REPO, created["id"], "second")
    assert updated["id"] == created["id"]
    assert [c["body"] for c in gh.list_issue_comments(REPO, 7)] == ["second"]
    assert github.calls("issues/update-comment")[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_pagination_follows_link_headers(github: FakeGitHub) -> None:
    github.add_comments(REPO, 3, [f"c{i}" for i in range(250)])
    bodies = [c["body"] for c in client(github).list_issue_comments(REPO, 3)]
    assert bodies == [f"c{i}" for i in range(250)]
    pages = github.calls("issues/list-comments")
    assert len(pages) == 3
    assert "page=3" in pages[-1].path


def test_secondary_rate_limit_honours_retry_after(github: FakeGitHub) -> None:
    github.fail("issues/create-comment", 403, message=SECONDARY, retry_after=7, times=2)
    sleeps = Sleeps()
    gh = client(github, sleep=sleeps)
    assert gh.create_issue_comment(REPO, 1, "hi")["body"] == "hi"
    assert sleeps == [7.0, 7.0]
    assert len(github.calls("issues/create-comment")) == 3


def test_primary_rate_limit_waits_until_reset(github: FakeGitHub) -> None:
    github.fail(
        "issues/list-comments",
        403,
        message="API rate limit exceeded",
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000030"},
    )
    sleeps = Sleeps()
    gh = client(github, sleep=sleeps, clock=lambda: 1_000_000.0)
    assert list(gh.list_issue_comments(REPO, 1)) == []
    assert sleeps == [31.0]


def test_secondary_limit_without_hint_waits_a_minute(github: FakeGitHub) -> None:
    github.fail("issues/list-comments", 429, message=SECONDARY)
    sleeps = Sleeps()
    assert list(client(github, sleep=sleeps).list_issue_comments(REPO, 1)) == []
    assert sleeps == [60.0]


def test_rate_limit_beyond_budget_fails_without_sleeping(github: FakeGitHub) -> None:
    github.fail("issues/create-comment", 403, message=SECONDARY, retry_after=3600)
    sleeps = Sleeps()
    with pytest.raises(RateLimited, match="3600 s, beyond the retry budget"):
        client(github, sleep=sleeps, retry_budget=90).create_issue_comment(REPO, 1, "x")
    assert sleeps == []


def test_5xx_is_retried_with_backoff(github: FakeGitHub) -> None:
    github.fail("issues/update-comment", 502, times=2, message="Bad Gateway")
    sleeps = Sleeps()
    gh = client(github, sleep=sleeps)
    comment = gh.create_issue_comment(REPO, 1, "a")
    assert gh.update_issue_comment(REPO, comment["id"], "b")["body"] == "b"
    assert sleeps == [1.0, 2.0]


def test_5xx_every_time_is_unreachable_within_budget(github: FakeGitHub) -> None:
    github.fail("issues/list-comments", 500, times=100)
    sleeps = Sleeps()
    with pytest.raises(Unreachable, match="answered 500"):
        list(client(github, sleep=sleeps, max_attempts=4).list_issue_comments(REPO, 1))
    assert sleeps == [1.0, 2.0, 4.0]
    assert sum(sleeps) <= 90


def test_forbidden_is_typed_and_never_retried(github: FakeGitHub) -> None:
    github.read_only = True
    sleeps = Sleeps()
    with pytest.raises(Forbidden, match="403: Resource not accessible by integration") as exc:
        client(github, sleep=sleeps).create_issue_comment(REPO, 1, "x")
    assert exc.value.status == 403
    assert sleeps == []


def test_bad_token_is_401_and_not_in_the_message(github: FakeGitHub) -> None:
    secret = "ghp_not_the_right_one_1234567890"
    with pytest.raises(Forbidden, match="401: Bad credentials") as exc:
        GitHub(api_url=github.api_url, token=secret).create_issue_comment(REPO, 1, "x")
    assert secret not in str(exc.value)


def test_not_found_is_typed(github: FakeGitHub) -> None:
    with pytest.raises(NotFound, match=r"404.*check the repository"):
        client(github).update_issue_comment(REPO, 99999, "x")


def test_unreachable_server() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    gh = GitHub(api_url=f"http://127.0.0.1:{port}", token="s3cret-token", sleep=sleeps)
    with pytest.raises(Unreachable, match=r"cannot reach GitHub at http://127.0.0.1:\d+") as exc:
        gh.create_issue_comment(REPO, 1, "x")
    assert "s3cret-token" not in str(exc.value)
    assert len(sleeps) == gh.max_attempts - 1


def test_token_only_to_the_api_origin() -> None:
    """A next-page link to another host is refused, so the token never goes there."""
    seen: list[str | None] = []

    class Other(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("authorization"))
            body = json.dumps([]).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            link = '<http://evil.invalid/repos/o/r/issues/1/comments?page=2>; rel="next"'
            self.send_header("link", link)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    import threading

    server = HTTPServer(("127.0.0.1", 0), Other)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        gh = GitHub(api_url=f"http://127.0.0.1:{server.server_address[1]}", token="tkn")
        with pytest.raises(GitHubError, match="points off"):
            list(gh.list_issue_comments("o/r", 1))
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["Bearer tkn"]


# ---------------------------------------------------------------- releases (issue 10 uses these)


def test_release_assets_roundtrip(github: FakeGitHub) -> None:
    gh = client(github)
    release = gh.create_release(REPO, "churn@v1.2.0", name="churn v1.2.0", body="notes")
    assert release["upload_url"].startswith(github.origin("uploads"))
    asset = gh.upload_release_asset(release, "model.pkl", b"\x00weights\xff")
    assert asset["size"] == 9
    again = gh.get_release_by_tag(REPO, "churn@v1.2.0")
    assert again["id"] == release["id"]
    listed = list(gh.list_release_assets(REPO, release["id"]))
    assert [a["name"] for a in listed] == ["model.pkl"]
    assert gh.download_release_asset(REPO, asset["id"]) == b"\x00weights\xff"
    upload = github.calls("repos/upload-release-asset")[0]
    assert upload.host == "uploads" and upload.headers["authorization"] == f"Bearer {TOKEN}"
    storage = [r for r in github.requests if r.host == "storage"]
    assert len(storage) == 1
    assert "authorization" not in storage[0].headers  # the token stays with GitHub


def test_release_errors_are_typed(github: FakeGitHub) -> None:
    gh = client(github)
    with pytest.raises(NotFound):
        gh.get_release_by_tag(REPO, "nope")
    release = gh.create_release(REPO, "v1")
    with pytest.raises(Unprocessable):
        gh.create_release(REPO, "v1")
    gh.upload_release_asset(release, "a.bin", b"1")
    with pytest.raises(Unprocessable):
        gh.upload_release_asset(release, "a.bin", b"2")


# ---------------------------------------------------------------- the fake itself can fail


def test_fake_rejects_what_github_would() -> None:
    """The validation is real: requests outside GitHub's description are refused and recorded."""
    with FakeGitHub(token=None) as fake:
        gh = GitHub(api_url=fake.api_url, token=None)
        with pytest.raises(GitHubError, match="400"):
            gh.request("POST", f"/repos/{REPO}/issues/1/comments", json_body={"text": "x"})
        with pytest.raises(GitHubError, match="400"):
            gh.request("GET", f"/repos/{REPO}/issues/x/comments")
        with pytest.raises(GitHubError, match="400"):
            gh.request("GET", f"/repos/{REPO}/issues/1/comments", params={"perpage": 5})
        with pytest.raises(GitHubError, match="400"):
            gh.request("GET", "/no/such/endpoint")
    assert len(fake.violations) == 4
    assert "missing" in fake.violations[0] or "body" in fake.violations[0]


def test_fake_checks_its_own_responses() -> None:
    api = load_openapi()
    op = api.op("issues/create-comment")
    bad = json.dumps({"id": "not-a-number", "body": "x"}).encode()
    problems = api.check_response(op, 201, {"content-type": "application/json"}, bad)
    assert any("required" in p for p in problems)
    assert any("id" in p for p in problems)
    assert api.check_response(op, 418, {}, b"") != []
