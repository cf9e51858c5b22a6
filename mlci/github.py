"""The one small GitHub REST client every GitHub call of mlci goes through.

Standard library only (``urllib``). The API base comes from ``GITHUB_API_URL``
(set by Actions, and on GitHub Enterprise Server ``https://HOST/api/v3``),
default ``https://api.github.com``; the token from ``GITHUB_TOKEN`` or
``GH_TOKEN``. The token is sent only to the API's origin (and to the upload
origin named by a release's ``upload_url``), never follows a redirect to
another host, and never appears in an error message.

Retries, within a bounded budget of waiting (``retry_budget`` seconds):

* 5xx answers and unreachable servers: exponential backoff;
* rate limits (403/429 that say so): ``Retry-After`` when given, else
  ``x-ratelimit-reset`` when ``x-ratelimit-remaining`` is 0, else one minute,
  as GitHub's docs ask. A wait that would exceed the budget is not slept: the
  call fails at once with :class:`RateLimited`.

Errors are typed, each with a message that says what to do:
:class:`Forbidden` (401/403), :class:`NotFound` (404), :class:`Unprocessable`
(422), :class:`RateLimited`, :class:`Unreachable` (network, 5xx after retries).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from mlci import __version__
from mlci.errors import MlciError, UsageError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
JSON_MEDIA = "application/vnd.github+json"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_REDIRECTS = 5

Json = Any


class GitHubError(MlciError):
    """A GitHub API call failed; the message names the call, never the token."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Forbidden(GitHubError):
    """401/403: no token, a bad token, or a token without the permission."""


class NotFound(GitHubError):
    """404: the repository, issue, release or asset does not exist (or is hidden)."""


class Unprocessable(GitHubError):
    """422: GitHub refused the content (e.g. an asset of that name exists)."""


class RateLimited(GitHubError):
    """A rate limit whose wait does not fit in the retry budget."""


class Unreachable(GitHubError):
    """No answer, or only 5xx answers, within the retry budget."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    url: str

    def json(self) -> Json:
        if not self.body:
            return None
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def token_from_env(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    return env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None


def api_url_from_env(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')


def parse_link(header: str | None) -> dict[str, str]:
    """``Link: <url>; rel="next", <url>; rel="last"`` → ``{"next": url, "last": url}``."""
    links: dict[str, str] = {}
    for url, rels in _LINK.findall(header or ""):
        for rel in rels.split():
            links[rel] = url
    return links


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by :meth:`GitHub.request` itself, to drop the token off-origin."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class GitHub:
    """A GitHub REST client. ``GitHub.from_env()`` on a laptop and in Actions alike."""

    api_url: str = DEFAULT_API_URL
    token: str | None = None
    retry_budget: float = 90.0
    """Seconds the client may spend waiting before retries, in all, per call."""
    max_attempts: int = 6
    backoff: float = 1.0
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    _trusted: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.api_url = self.api_url.rstrip("/")
        self._trusted.add(_origin(self.api_url))
        self._opener = urllib.request.build_opener(_NoRedirect)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> GitHub:
        return cls(api_url=api_url_from_env(env), token=token_from_env(env), **kwargs)

    def __repr__(self) -> str:  # never show the token
        return f"GitHub(api_url={self.api_url!r}, token={'***' if self.token else None})"

    # ------------------------------------------------------------------ transport

    def url(self, path: str, params: Mapping[str, object] | None = None) -> str:
        url = path if "://" in path else f"{self.api_url}/{path.lstrip('/')}"
        if params:
            query = urllib.parse.urlencode({k: str(v) for k, v in params.items()})
            url += ("&" if "?" in url else "?") + query
        return url

    def _redact(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text

    def _what(self, method: str, url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        return f"{method} {parts.path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json_body: Json = None,
        data: bytes | None = None,
        content_type: str | None = None,
        accept: str = JSON_MEDIA,
    ) -> Response:
        """One API call with retries; returns a 2xx :class:`Response` or raises a typed error."""
        url = self.url(path, params)
        body = data
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = "application/json"
        waited = 0.0
        attempt = 0
        redirects = 0
        while True:
            attempt += 1
            try:
                resp = self._send(method, url, body, content_type, accept)
            except Unreachable:
                delay = self.backoff * 2 ** (attempt - 1)
                if attempt >= self.max_attempts or waited + delay > self.retry_budget:
                    raise
                waited += delay
                self.sleep(delay)
                continue
            if resp.status in (301, 302, 303, 307, 308) and resp.header("location"):
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise Unreachable(
                        f"GitHub redirected {self._what(method, url)} too often", status=resp.status
                    )
                url = urllib.parse.urljoin(url, resp.header("location") or "")
                if resp.status == 303 or method == "GET":
                    method, body, content_type = "GET", None, None
                attempt = 0
                continue
            if 200 <= resp.status < 300:
                return resp
            delay = self._retry_delay(resp, attempt)
            if delay is None:
                raise self._error(method, url, resp)
            if attempt >= self.max_attempts or waited + delay > self.retry_budget:
                if self._rate_limited(resp):
                    raise RateLimited(
                        f"GitHub's rate limit stopped {self._what(method, url)}: it asks to wait "
                        f"{delay:.0f} s, beyond the retry budget of {self.retry_budget:.0f} s; "
                        "retry later",
                        status=resp.status,
                    )
                raise Unreachable(
                    f"GitHub answered {resp.status} to {self._what(method, url)} "
                    f"{attempt} time(s); retry later or check https://www.githubstatus.com",
                    status=resp.status,
                )
            waited += delay
            self.sleep(delay)

    def _send(
        self, method: str, url: str, body: bytes | None, content_type: str | None, accept: str
    ) -> Response:
        headers = {
            "Accept": accept,
            "User-Agent": f"mlci/{__version__}",
            "X-GitHub-Api-Version": API_VERSION,
        }
        if self.token and _origin(url) in self._trusted:
            headers["Authorization"] = f"Bearer {self.token}"
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with self._opener.open(req, timeout=self.timeout) as raw:
                return Response(raw.status, _headers(raw.headers), raw.read(), url)
        except urllib.error.HTTPError as exc:
            with exc:
                payload = exc.read()
            return Response(exc.code, _headers(exc.headers), payload, url)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unreachable(
                f"cannot reach GitHub at {_origin(url)} ({self._redact(str(reason))}): "
                "check GITHUB_API_URL and the network"
            ) from None

    # ------------------------------------------------------------------ retry policy

    def _rate_limited(self, resp: Response) -> bool:
        if resp.status not in (403, 429):
            return False
        if resp.status == 429 or resp.header("retry-after") is not None:
            return True
        if resp.header("x-ratelimit-remaining") == "0":
            return True
        return "rate limit" in _message(resp).lower()

    def _retry_delay(self, resp: Response, attempt: int) -> float | None:
        """Seconds to wait before retrying ``resp``, or ``None`` when it is final."""
        if resp.status in RETRY_STATUSES:
            after = _seconds(resp.header("retry-after"))
            return after if after is not None else self.backoff * 2 ** (attempt - 1)
        if not self._rate_limited(resp):
            return None
        after = _seconds(resp.header("retry-after"))
        if after is not None:
            return after
        reset = _seconds(resp.header("x-ratelimit-reset"))
        if resp.header("x-ratelimit-remaining") == "0" and reset is not None:
            return max(0.0, reset - self.clock()) + 1.0
        return 60.0 * attempt  # secondary limit without a hint: "wait at least one minute"

    def _error(self, method: str, url: str, resp: Response) -> GitHubError:
        what = self._what(method, url)
        msg = self._redact(_message(resp)) or "no message"
        if resp.status == 401:
            return Forbidden(
                f"GitHub rejected the token for {what} (401: {msg}): "
                "set GITHUB_TOKEN or GH_TOKEN to a valid token",
                status=401,
            )
        if resp.status == 403:
            return Forbidden(
                f"GitHub refused {what} (403: {msg}): the token lacks the permission "
                "(a read-only token, e.g. on a pull request from a fork)",
                status=403,
            )
        if resp.status == 404:
            hint = "" if self.token else "; no GITHUB_TOKEN or GH_TOKEN is set"
            return NotFound(
                f"GitHub found nothing at {what} (404: {msg}): check the repository, number "
                f"or tag, and that the token can see the repository{hint}",
                status=404,
            )
        if resp.status == 422:
            return Unprocessable(f"GitHub refused {what} (422: {msg})", status=422)
        return GitHubError(f"GitHub answered {resp.status} to {what}: {msg}", status=resp.status)

    # ------------------------------------------------------------------ helpers

    def get_json(self, path: str, params: Mapping[str, object] | None = None) -> Json:
        return self.request("GET", path, params=params).json()

    def paginate(
        self, path: str, params: Mapping[str, object] | None = None, *, per_page: int = 100
    ) -> Iterator[Json]:
        """Every item of a list endpoint, following ``Link: rel="next"`` page by page."""
        url: str | None = self.url(path, {**(params or {}), "per_page": per_page})
        while url:
            resp = self.request("GET", url)
            items = resp.json()
            if not isinstance(items, list):
                raise GitHubError(
                    f"GitHub answered {self._what('GET', url)} with no list", status=resp.status
                )
            yield from items
            url = parse_link(resp.header("link")).get("next")
            if url and _origin(url) not in self._trusted:
                raise GitHubError(f"GitHub's next page points off {self.api_url}: {_origin(url)}")

    # ------------------------------------------------------------------ issue comments

    def list_issue_comments(self, repo: str, number: int) -> Iterator[Json]:
        return self.paginate(f"/repos/{_repo(repo)}/issues/{int(number)}/comments")

    def create_issue_comment(self, repo: str, number: int, body: str) -> Json:
        path = f"/repos/{_repo(repo)}/issues/{int(number)}/comments"
        return self.request("POST", path, json_body={"body": body}).json()

    def update_issue_comment(self, repo: str, comment_id: int, body: str) -> Json:
        path = f"/repos/{_repo(repo)}/issues/comments/{int(comment_id)}"
        return self.request("PATCH", path, json_body={"body": body}).json()

    # ------------------------------------------------------------------ releases

    def create_release(
        self,
        repo: str,
        tag: str,
        *,
        name: str | None = None,
        body: str | None = None,
        target_commitish: str | None = None,
        draft: bool = False,
        prerelease: bool = False,
        make_latest: str | None = None,
    ) -> Json:
        """``make_latest="false"`` keeps the repository's "latest release" where it is."""
        payload: dict[str, Json] = {"tag_name": tag, "draft": draft, "prerelease": prerelease}
        if make_latest is not None:
            payload["make_latest"] = make_latest
        if name is not None:
            payload["name"] = name
        if body is not None:
            payload["body"] = body
        if target_commitish is not None:
            payload["target_commitish"] = target_commitish
        return self.request("POST", f"/repos/{_repo(repo)}/releases", json_body=payload).json()

    def get_release_by_tag(self, repo: str, tag: str) -> Json:
        """The release of ``tag``; raises :class:`NotFound` when there is none."""
        quoted = urllib.parse.quote(tag, safe="")
        return self.get_json(f"/repos/{_repo(repo)}/releases/tags/{quoted}")

    def list_release_assets(self, repo: str, release_id: int) -> Iterator[Json]:
        return self.paginate(f"/repos/{_repo(repo)}/releases/{int(release_id)}/assets")

    def upload_release_asset(
        self,
        release: Mapping[str, Json],
        name: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        label: str | None = None,
    ) -> Json:
        """Upload ``data`` as asset ``name`` to the release (its ``upload_url``, uploads host)."""
        upload_url = str(release["upload_url"]).split("{", 1)[0]
        self._trusted.add(_origin(upload_url))
        params: dict[str, object] = {"name": name}
        if label is not None:
            params["label"] = label
        return self.request(
            "POST", upload_url, params=params, data=data, content_type=content_type
        ).json()

    def download_release_asset(self, repo: str, asset_id: int) -> bytes:
        """The bytes of a release asset (follows GitHub's redirect, without the token)."""
        path = f"/repos/{_repo(repo)}/releases/assets/{int(asset_id)}"
        return self.request("GET", path, accept="application/octet-stream").body


_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def _repo(repo: str) -> str:
    if not _REPO.fullmatch(repo):
        raise UsageError(f"repository must be owner/name, got {repo!r}")
    return repo


def _headers(message: Message | Mapping[str, str] | None) -> dict[str, str]:
    if message is None:
        return {}
    return {k.lower(): v for k, v in message.items()}


def _message(resp: Response) -> str:
    try:
        payload = json.loads(resp.body) if resp.body else None
    except ValueError:
        return resp.body[:200].decode("utf-8", "replace").strip()
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return str(payload["message"])
    return ""


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
