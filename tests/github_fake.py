"""A local stand-in for GitHub's REST API that checks itself against GitHub's own description.

There is no GitHub here, so tests talk to this server on 127.0.0.1. It
implements the few endpoints mlci uses (issue comments; releases and their
assets) and **validates every request it gets and every response it sends**
against GitHub's published OpenAPI description, npm ``@octokit/openapi``
(``api.github.com.json``, installed by ``.ci/run`` into ``/tmp/mlci-npm``;
``MLCI_GITHUB_OPENAPI`` names another copy). A request GitHub would not
accept (unknown endpoint, a bad parameter, a body that breaks the schema, an
unknown body field) is answered 400 and recorded in :attr:`FakeGitHub.violations`;
a response of the fake that breaks the schema is recorded there too. The
``github`` fixture in ``conftest.py`` fails the test if anything was recorded.

Three origins, like GitHub: the API (``fake.api_url``), the uploads host that
a release's ``upload_url`` names (``uploads.github.com``), and a storage host
that asset downloads redirect to (``objects.githubusercontent.com``), which
must never receive the token.

Usage::

    with FakeGitHub(token="t0k") as fake:
        fake.add_comments("o/r", 7, ["hello"] * 150)
        fake.fail("issues/create-comment", 403, retry_after=1, message=SECONDARY)
        client = GitHub(api_url=fake.api_url, token="t0k")
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    oas30_format_checker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

OPENAPI_VERSION = "23.0.2"
DEFAULT_SPEC = Path("/tmp/mlci-npm/node_modules/@octokit/openapi/generated/api.github.com.json")
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
DOCS = "https://docs.github.com/rest"
# Statuses GitHub may answer on any endpoint, whether or not the operation lists them
# (authentication, a missing or hidden resource, rate limits, server errors): validated
# against basic-error.
GENERIC_STATUSES = frozenset({401, 403, 404, 429, 500, 502, 503, 504})


def spec_path() -> Path:
    path = Path(os.environ.get("MLCI_GITHUB_OPENAPI") or DEFAULT_SPEC)
    if not path.is_file():
        raise RuntimeError(
            f"GitHub's OpenAPI description is missing at {path}: run "
            f"`npm install --prefix /tmp/mlci-npm @octokit/openapi@{OPENAPI_VERSION}` "
            "(.ci/run does) or set MLCI_GITHUB_OPENAPI"
        )
    return path


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Operation:
    op_id: str
    method: str
    template: str
    host: str  # "api" or "uploads"
    regex: re.Pattern[str]
    pointer: str  # JSON pointer of the operation object in the spec


class OpenAPI:
    """GitHub's REST description, and validation of requests/responses against it."""

    def __init__(self, path: Path) -> None:
        self.doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.registry: Registry[Any] = Registry().with_resource(
            "urn:github", Resource.from_contents(self.doc, default_specification=DRAFT4)
        )
        self.operations: list[Operation] = []
        for template, item in self.doc["paths"].items():
            for method, op in item.items():
                if not isinstance(op, dict) or "operationId" not in op:
                    continue
                servers = op.get("servers") or []
                host = "uploads" if any("uploads." in s["url"] for s in servers) else "api"
                regex = re.compile(
                    "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)) + "$"
                )
                self.operations.append(
                    Operation(
                        op["operationId"],
                        method.upper(),
                        template,
                        host,
                        regex,
                        _pointer("paths", template, method),
                    )
                )
        # the most literal template wins: /releases/assets/{id} before /releases/{id}/...
        self.operations.sort(key=lambda o: o.template.count("{"))

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = self.node(node["$ref"])
        return node

    def node(self, pointer: str) -> Any:
        node: Any = self.doc
        for part in pointer.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def op(self, op_id: str) -> Operation:
        return next(o for o in self.operations if o.op_id == op_id)

    def match(self, method: str, path: str, host: str) -> tuple[Operation, dict[str, str]] | None:
        for op in self.operations:
            if op.method != method or op.host != host:
                continue
            m = op.regex.match(path)
            if m:
                names = re.findall(r"\{([^}]+)\}", op.template)
                return op, dict(
                    zip(names, (urllib.parse.unquote(g) for g in m.groups()), strict=True)
                )
        return None

    def _errors(self, pointer: str, instance: Any, *, write: bool) -> list[str]:
        cls = OAS30WriteValidator if write else OAS30ReadValidator
        validator = cls(
            {"$ref": "urn:github" + pointer},
            registry=self.registry,
            format_checker=oas30_format_checker,
        )
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        ]

    def _parameters(self, op: Operation) -> list[tuple[str, dict[str, Any]]]:
        """(pointer, resolved parameter) of every parameter of ``op``."""
        out = []
        params = self.node(op.pointer).get("parameters", [])
        for i, param in enumerate(params):
            if "$ref" in param:
                out.append((param["$ref"], self.resolve(param)))
            else:
                out.append((op.pointer + f"/parameters/{i}", param))
        return out

    def check_request(
        self,
        op: Operation,
        path_params: dict[str, str],
        query: dict[str, list[str]],
        content_type: str | None,
        body: bytes,
    ) -> list[str]:
        errors: list[str] = []
        known_query = set()
        for pointer, param in self._parameters(op):
            name, where = param["name"], param["in"]
            if where == "path":
                raw: str | None = path_params.get(name)
            elif where == "query":
                known_query.add(name)
                values = query.get(name)
                if values and len(values) > 1:
                    errors.append(f"query parameter {name} given {len(values)} times")
                raw = values[0] if values else None
            else:
                continue
            if raw is None:
                if param.get("required"):
                    errors.append(f"missing required {where} parameter {name}")
                continue
            value = _coerce(raw, self.resolve(param.get("schema", {})))
            errors += [
                f"{where} {name}: {e}" for e in self._errors(pointer + "/schema", value, write=True)
            ]
        errors += [f"unknown query parameter {name}" for name in query if name not in known_query]

        spec_body = self.resolve(self.node(op.pointer).get("requestBody"))
        if spec_body is None:
            if body:
                errors.append("a body was sent to an operation that takes none")
            return errors
        media = (content_type or "").split(";")[0].strip()
        content = spec_body.get("content", {})
        if not body:
            if spec_body.get("required"):
                errors.append("the required request body is missing")
            return errors
        if media not in content:
            return [*errors, f"request Content-Type {media!r} is not one of {sorted(content)}"]
        if media.endswith("json"):
            try:
                payload = json.loads(body)
            except ValueError as exc:
                return [*errors, f"request body is not JSON: {exc}"]
            raw_body = self.node(op.pointer)["requestBody"]
            base = raw_body["$ref"] if "$ref" in raw_body else op.pointer + "/requestBody"
            schema_ptr = base + "/content/" + media.replace("/", "~1") + "/schema"
            errors += [f"body {e}" for e in self._errors(schema_ptr, payload, write=True)]
            schema = self.resolve(content[media].get("schema", {}))
            if isinstance(payload, dict) and "properties" in schema:
                errors += [
                    f"body field {k!r} is not in GitHub's schema"
                    for k in payload
                    if k not in schema["properties"]
                ]
        return errors

    def check_response(
        self, op: Operation, status: int, headers: dict[str, str], body: bytes
    ) -> list[str]:
        responses = self.node(op.pointer)["responses"]
        key = str(status)
        if key in responses:
            pointer = op.pointer + "/responses/" + key
            spec = responses[key]
            if "$ref" in spec:
                pointer, spec = spec["$ref"], self.resolve(spec)
        elif status in GENERIC_STATUSES:
            pointer, spec = (
                "#/components/responses/forbidden",
                self.node("#/components/responses/forbidden"),
            )
        elif "default" in responses:
            pointer, spec = op.pointer + "/responses/default", self.resolve(responses["default"])
        else:
            return [f"status {status} is not a response of {op.op_id} ({sorted(responses)})"]
        errors: list[str] = []
        content = spec.get("content")
        media = headers.get("content-type", "").split(";")[0].strip()
        if not content:
            if body and status < 400:
                errors.append(f"{op.op_id} {status} has no body in the description")
            return errors
        if media not in content:
            return [f"response Content-Type {media!r} is not one of {sorted(content)}"]
        if media.endswith("json"):
            ptr = pointer + "/content/" + media.replace("/", "~1") + "/schema"
            errors += [f"response {e}" for e in self._errors(ptr, json.loads(body), write=False)]
        return errors


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


@cache
def load_openapi() -> OpenAPI:
    """GitHub's description, parsed once per test session (≈ 0.3 s for 13 MB)."""
    return OpenAPI(spec_path())


# ---------------------------------------------------------------------------- the fake


@dataclass
class Fault:
    op_id: str
    status: int
    headers: dict[str, str]
    message: str
    times: int


#: What an operation answers: status, headers, and a JSON value (or raw bytes, or None).
Reply = tuple[int, dict[str, str], Any]


@dataclass(frozen=True)
class Call:
    """One validated API request, as an operation's handler sees it."""

    repo: str  # owner/name
    params: dict[str, str]  # the path's parameters
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Recorded:
    host: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    op_id: str | None = None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeGitHub:
    """GitHub's REST API for the endpoints mlci calls, validated against the description."""

    token: str | None = "fake-token"
    """Requests must carry ``Authorization: Bearer <token>`` (reads too); ``None`` accepts any."""
    read_only: bool = False
    """Writes answer 403 "Resource not accessible by integration", like a fork PR's token."""
    login: str = "github-actions[bot]"
    violations: list[str] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.api = load_openapi()
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.releases: dict[str, list[dict[str, Any]]] = {}
        self.assets: dict[int, tuple[str, dict[str, Any], bytes]] = {}
        self.faults: list[Fault] = []
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeGitHub:
        for host in ("api", "uploads", "storage"):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, host))
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            self._servers[host] = server
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def origin(self, host: str) -> str:
        return f"http://127.0.0.1:{self._servers[host].server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.origin("api")

    # ------------------------------------------------------------------ test controls

    def fail(
        self,
        op_id: str,
        status: int,
        *,
        times: int = 1,
        message: str = "Server Error",
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``op_id`` with ``status`` instead."""
        self.api.op(op_id)  # the operation exists in GitHub's description
        extra = dict(headers or {})
        if retry_after is not None:
            extra["retry-after"] = str(retry_after)
        self.faults.append(Fault(op_id, status, extra, message, times))

    def add_comments(
        self, repo: str, number: int, bodies: list[str], *, login: str = "someone"
    ) -> None:
        for body in bodies:
            self._new_comment(repo, number, body, login)

    def comments_of(self, repo: str, number: int) -> list[dict[str, Any]]:
        return self.comments.get((repo.lower(), number), [])

    def calls(self, op_id: str) -> list[Recorded]:
        return [r for r in self.requests if r.op_id == op_id]

    # ------------------------------------------------------------------ objects

    def user(self, login: str) -> dict[str, Any]:
        base = f"{self.api_url}/users/{urllib.parse.quote(login)}"
        return {
            "login": login,
            "id": 41898282,
            "node_id": "MDM6Qm90NDE4OTgyODI=",
            "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4",
            "gravatar_id": "",
            "url": base,
            "html_url": f"https://github.com/{urllib.parse.quote(login)}",
            "followers_url": f"{base}/followers",
            "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}",
            "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions",
            "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "site_admin": False,
        }

    def _new_comment(self, repo: str, number: int, body: str, login: str) -> dict[str, Any]:
        cid = next(self._ids)
        now = _now()
        comment = {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"{self.api_url}/repos/{repo}/issues/comments/{cid}",
            "html_url": f"https://github.com/{repo}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"{self.api_url}/repos/{repo}/issues/{number}",
            "body": body,
            "user": self.user(login),
            "created_at": now,
            "updated_at": now,
            "author_association": "NONE",
        }
        self.comments.setdefault((repo.lower(), number), []).append(comment)
        return comment

    def _release(self, repo: str, payload: dict[str, Any]) -> dict[str, Any]:
        rid = next(self._ids)
        tag = payload["tag_name"]
        api = f"{self.api_url}/repos/{repo}/releases/{rid}"
        draft = bool(payload.get("draft", False))
        release = {
            "url": api,
            "html_url": f"https://github.com/{repo}/releases/tag/{urllib.parse.quote(tag)}",
            "assets_url": f"{api}/assets",
            "upload_url": f"{self.origin('uploads')}/repos/{repo}/releases/{rid}/assets{{?name,label}}",
            "tarball_url": f"{self.api_url}/repos/{repo}/tarball/{urllib.parse.quote(tag)}",
            "zipball_url": f"{self.api_url}/repos/{repo}/zipball/{urllib.parse.quote(tag)}",
            "id": rid,
            "node_id": f"RE_{rid}",
            "tag_name": tag,
            "target_commitish": payload.get("target_commitish", "main"),
            "name": payload.get("name", tag),
            "body": payload.get("body"),
            "draft": draft,
            "prerelease": bool(payload.get("prerelease", False)),
            "created_at": _now(),
            "published_at": None if draft else _now(),
            "author": self.user(self.login),
            "assets": [],
        }
        self.releases.setdefault(repo.lower(), []).append(release)
        return release

    # ------------------------------------------------------------------ routing

    def handle(
        self, host: str, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        split = urllib.parse.urlsplit(raw_path)
        rec = Recorded(host, method, raw_path, headers, body)
        with self._lock:
            self.requests.append(rec)
        if host == "storage":
            return self._storage(split.path)
        found = self.api.match(method, split.path, host)
        if found is None:
            return self._violation(
                rec, f"{method} {split.path} is not an operation of GitHub's API on the {host} host"
            )
        op, path_params = found
        rec.op_id = op.op_id
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        problems = self.api.check_request(op, path_params, query, headers.get("content-type"), body)
        if "user-agent" not in headers:
            problems.append("no User-Agent header (GitHub rejects such requests)")
        if problems:
            return self._violation(rec, f"{op.op_id}: " + "; ".join(problems))
        status, out_headers, payload = self._dispatch(op, path_params, query, headers, body)
        content_type = out_headers.get("content-type", "")
        raw = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload).encode()
            if payload is not None
            else b""
        )
        if payload is not None and not isinstance(payload, bytes) and not content_type:
            out_headers["content-type"] = "application/json; charset=utf-8"
        for problem in self.api.check_response(op, status, out_headers, raw):
            with self._lock:
                self.violations.append(f"response of {op.op_id} {status}: {problem}")
        rec.status = status
        return status, out_headers, raw

    def _violation(self, rec: Recorded, problem: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.violations.append(problem)
        rec.status = 400
        body = json.dumps({"message": f"fake GitHub: {problem}", "documentation_url": DOCS})
        return 400, {"content-type": "application/json; charset=utf-8"}, body.encode()

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        return (
            status,
            dict(headers or {}),
            {"message": message, "documentation_url": DOCS, "status": str(status)},
        )

    def _dispatch(
        self,
        op: Operation,
        p: dict[str, str],
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> Reply:
        if self.token is not None:
            auth = headers.get("authorization", "")
            if not auth:
                return self._error(401, "Requires authentication")
            if auth not in (f"Bearer {self.token}", f"token {self.token}"):
                return self._error(401, "Bad credentials")
        with self._lock:
            for fault in self.faults:
                if fault.op_id == op.op_id and fault.times > 0:
                    fault.times -= 1
                    return self._error(fault.status, fault.message, fault.headers)
        if self.read_only and op.method != "GET":
            return self._error(403, "Resource not accessible by integration")
        handler = OPERATIONS.get(op.op_id)
        if handler is None:
            return self._error(501, f"the fake does not implement {op.op_id}")
        call = Call(f"{p.get('owner')}/{p.get('repo')}", p, query, headers, body)
        with self._lock:
            return handler(self, call)

    # ------------------------------------------------------------------ operations

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]], path: str) -> Reply:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = max(int(query.get("page", ["1"])[0]), 1)
        last = max(1, -(-len(items) // per_page))
        links = []

        def link(n: int, rel: str) -> str:
            q = {k: v[0] for k, v in query.items()} | {"per_page": str(per_page), "page": str(n)}
            return f'<{self.api_url}{path}?{urllib.parse.urlencode(q)}>; rel="{rel}"'

        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        headers = {"link": ", ".join(links)} if links else {}
        return 200, headers, copy.deepcopy(items[(page - 1) * per_page : page * per_page])

    def _list_comments(self, call: Call) -> Reply:
        number = int(call.params["issue_number"])
        path = f"/repos/{call.repo}/issues/{number}/comments"
        return self._page(self.comments_of(call.repo, number), call.query, path)

    def _create_comment(self, call: Call) -> Reply:
        comment = self._new_comment(
            call.repo, int(call.params["issue_number"]), json.loads(call.body)["body"], self.login
        )
        return 201, {"location": comment["url"]}, copy.deepcopy(comment)

    def _update_comment(self, call: Call) -> Reply:
        cid = int(call.params["comment_id"])
        for (r, _), comments in self.comments.items():
            for comment in comments:
                if r == call.repo.lower() and comment["id"] == cid:
                    comment["body"] = json.loads(call.body)["body"]
                    comment["updated_at"] = _now()
                    return 200, {}, copy.deepcopy(comment)
        return self._error(404, "Not Found")

    def _create_release(self, call: Call) -> Reply:
        payload = json.loads(call.body)
        if any(
            r["tag_name"] == payload["tag_name"] for r in self.releases.get(call.repo.lower(), [])
        ):
            return (
                422,
                {},
                {
                    "message": "Validation Failed",
                    "documentation_url": DOCS,
                    "errors": [
                        {"resource": "Release", "code": "already_exists", "field": "tag_name"}
                    ],
                },
            )
        release = self._release(call.repo, payload)
        return 201, {"location": release["url"]}, copy.deepcopy(release)

    def _get_release_by_tag(self, call: Call) -> Reply:
        for release in self.releases.get(call.repo.lower(), []):
            if release["tag_name"] == call.params["tag"] and not release["draft"]:
                return 200, {}, copy.deepcopy(release)
        return self._error(404, "Not Found")

    def _find_release(self, repo: str, rid: int) -> dict[str, Any] | None:
        return next((r for r in self.releases.get(repo.lower(), []) if r["id"] == rid), None)

    def _list_release_assets(self, call: Call) -> Reply:
        release = self._find_release(call.repo, int(call.params["release_id"]))
        if release is None:
            # not a documented status of this operation: an unknown id gives an empty list here
            return self._page(
                [], call.query, f"/repos/{call.repo}/releases/{call.params['release_id']}/assets"
            )
        return self._page(
            release["assets"], call.query, f"/repos/{call.repo}/releases/{release['id']}/assets"
        )

    def _upload_release_asset(self, call: Call) -> Reply:
        release = self._find_release(call.repo, int(call.params["release_id"]))
        if release is None:
            return self._error(404, "Not Found")
        name = call.query["name"][0]
        if any(a["name"] == name for a in release["assets"]):
            return 422, {}, None
        aid = next(self._ids)
        now = _now()
        asset = {
            "url": f"{self.api_url}/repos/{call.repo}/releases/assets/{aid}",
            "browser_download_url": f"https://github.com/{call.repo}/releases/download/{urllib.parse.quote(release['tag_name'])}/{urllib.parse.quote(name)}",
            "id": aid,
            "node_id": f"RA_{aid}",
            "name": name,
            "label": call.query.get("label", [None])[0],
            "state": "uploaded",
            "content_type": call.headers.get("content-type", "application/octet-stream"),
            "size": len(call.body),
            "digest": "sha256:" + hashlib.sha256(call.body).hexdigest(),
            "download_count": 0,
            "created_at": now,
            "updated_at": now,
            "uploader": self.user(self.login),
        }
        release["assets"].append(asset)
        self.assets[aid] = (call.repo.lower(), asset, call.body)
        return 201, {}, copy.deepcopy(asset)

    def _get_release_asset(self, call: Call) -> Reply:
        aid = int(call.params["asset_id"])
        entry = self.assets.get(aid)
        if entry is None or entry[0] != call.repo.lower():
            return self._error(404, "Not Found")
        if call.headers.get("accept") == "application/octet-stream":
            return 302, {"location": f"{self.origin('storage')}/assets/{aid}?signature=abc"}, None
        return 200, {}, copy.deepcopy(entry[1])

    def _storage(self, path: str) -> tuple[int, dict[str, str], bytes]:
        m = re.fullmatch(r"/assets/(\d+)", path)
        entry = self.assets.get(int(m.group(1))) if m else None
        if entry is None:
            return 404, {"content-type": "text/plain"}, b"no such object"
        return 200, {"content-type": "application/octet-stream"}, entry[2]


# The operations the fake implements, by GitHub's operationId.
OPERATIONS: dict[str, Callable[[FakeGitHub, Call], Reply]] = {
    "issues/list-comments": FakeGitHub._list_comments,
    "issues/create-comment": FakeGitHub._create_comment,
    "issues/update-comment": FakeGitHub._update_comment,
    "repos/create-release": FakeGitHub._create_release,
    "repos/get-release-by-tag": FakeGitHub._get_release_by_tag,
    "repos/list-release-assets": FakeGitHub._list_release_assets,
    "repos/upload-release-asset": FakeGitHub._upload_release_asset,
    "repos/get-release-asset": FakeGitHub._get_release_asset,
}


def _handler(fake: FakeGitHub, host: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, raw = fake.handle(host, self.command, self.path, headers, body)
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            if raw:
                self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[FakeGitHub]:
    with FakeGitHub(**kwargs) as fake:
        yield fake
