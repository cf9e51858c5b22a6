"""The git registry: GTO-compatible annotated tags in the repository, no server.

The tag grammar is GTO's (iterative/gto; parsed and written by
:mod:`mlci.registry.gto`), so ``gto show`` and ``gto history`` read the same
registry:

* ``<model>@v<semver>`` registers a version at the commit it points to;
  ``<model>@v<semver>!`` deregisters it.
* ``<model>#<stage>#<n>`` assigns ``stage`` to the version registered at the
  commit it points to; ``n`` is one more than the highest counter of any tag
  of the model (so tag names never repeat). ``<model>#<stage>!#<n>`` unassigns.
* The stage belongs to the version of its most recent assignment, ordered by
  tagger date. mlci gives each new tag a date strictly after the model's last
  tag, so GTO's order and mlci's agree.
* One version per commit: an assignment names a commit, not a version.

mlci writes JSON after the first paragraph of each annotation (metrics, run
URL, commit, validation verdict; for assignments the action and the previous
holder). Tags written by GTO itself carry no JSON and read as plain
assignments.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlci import git
from mlci.errors import CheckFailed, UsageError, one_line
from mlci.manifest import ModelFiles, files_from_dict
from mlci.names import check_name
from mlci.registry import gto
from mlci.registry.base import (
    ModelVersion,
    Promotion,
    StageEvent,
    actor,
    check_promotion_names,
    check_promotion_stages,
    check_stage,
    dump_metrics,
    holders,
    known_stages,
    promotion_action,
    promotion_policy,
    refuse_rejected,
    rollback_target,
    run_url,
)
from mlci.registry.gto import Tag


@dataclass
class _State:
    tags: list[Tag] = field(default_factory=list)
    registrations: list[Tag] = field(default_factory=list)
    assignments: list[Tag] = field(default_factory=list)


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat()


class GitRegistry:
    """GTO-compatible tags in the git repository at ``root``."""

    backend = "git"

    def __init__(
        self,
        *,
        root: Path,
        push: bool = False,
        token: str | None = None,
        remote: str = "origin",
        fetch: bool | None = None,
        stages: Sequence[str] = (),
    ) -> None:
        self.root = root
        #: ``registry.stages`` of mlci.yaml: known stages before any version holds them.
        self.stages = tuple(stages)
        self.push = push
        self.fetch = push if fetch is None else fetch
        self.token = token or None
        self.remote = remote
        self._synced = False
        self._check_repo()

    # ------------------------------------------------------------------ git plumbing

    def _scrub(self, text: str) -> str:
        return git.scrub(text, self.token)

    def _git(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        input: str | None = None,
    ) -> git.Output:
        proc = git.run(
            *args,
            cwd=self.root,
            purpose="keep the git registry's tags",
            token=self.token,
            env=env,
            input=input,
        )
        if check and not proc.ok:
            raise UsageError(f"git {args[0]} failed: {self._scrub(proc.stderr or proc.stdout)}")
        return proc

    def _check_repo(self) -> None:
        if not self.root.is_dir():
            raise UsageError(f"{self.root}: no such directory (the git registry's repository)")
        proc = self._git("rev-parse", "--git-dir", check=False)
        if proc.returncode != 0:
            raise UsageError(
                f"{self.root}: is not a git repository; the git registry keeps its tags there "
                "(or set registry.backend: mlflow)"
            )

    def _identity(self) -> dict[str, str]:
        """A committer identity for tags when git has none configured (CI runners)."""
        if self._git("var", "GIT_COMMITTER_IDENT", check=False).returncode == 0:
            return {}
        return {
            "GIT_COMMITTER_NAME": "github-actions[bot]",
            "GIT_COMMITTER_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
        }

    def _sync(self) -> None:
        """Fetch the remote's tags before reading or changing anything (with ``fetch``/``push``)."""
        if not self.fetch or self._synced:
            return
        if self._git("remote", "get-url", self.remote, check=False).returncode != 0:
            flag = "--push" if self.push else "--fetch"
            raise UsageError(
                f"{flag} needs a git remote named {self.remote!r}; add it or drop {flag}"
            )
        proc = self._git("fetch", "--quiet", self.remote, "refs/tags/*:refs/tags/*", check=False)
        if proc.returncode != 0:
            raise UsageError(f"cannot fetch tags from {self.remote}: {self._scrub(proc.stderr)}")
        self._synced = True

    def _push(self, names: Sequence[str]) -> None:
        """Push new tags atomically; on any failure delete them locally and raise."""
        refs = [f"refs/tags/{name}:refs/tags/{name}" for name in names]
        proc = self._git("push", "--atomic", "--porcelain", self.remote, *refs, check=False)
        if proc.returncode == 0:
            return
        self._git("tag", "-d", *names, check=False)
        output = f"{proc.stdout}\n{proc.stderr}"
        if "rejected" in output or "already exists" in output:
            raise CheckFailed(
                f"lost a race: {', '.join(names)} already exists on {self.remote} "
                "(another registration or promotion pushed first); nothing was changed — "
                "rerun to act on the new state"
            )
        raise UsageError(
            f"cannot push {', '.join(names)} to {self.remote}: {self._scrub(proc.stderr)}; "
            "nothing was changed (check the github-token input and `contents: write` permission)"
        )

    def _remote_tags(self) -> set[str]:
        proc = self._git("ls-remote", "--tags", "--refs", self.remote, check=False)
        if proc.returncode != 0:
            return set()
        return {
            line.split("\t", 1)[1].removeprefix("refs/tags/")
            for line in proc.stdout.splitlines()
            if "\t" in line
        }

    # ------------------------------------------------------------------ reading

    def _read(self, model: str) -> _State:
        fmt = "%1f".join(
            [
                "%(refname:strip=2)",
                "%(objecttype)",
                "%(*objectname)",
                "%(taggerdate:unix)",
                "%(taggername)",
                "%(contents)",
            ]
        )
        proc = self._git("for-each-ref", f"--format={fmt}%1e", "refs/tags")
        state = _State()
        for record in proc.stdout.split("\x1e"):
            fields = record.lstrip("\n").split("\x1f")
            if len(fields) != 6:
                continue
            name, objtype, commit, date, tagger, message = fields
            match = gto.TAG_RE.match(name)
            if objtype != "tag" or not match or match["artifact"] != model:
                continue  # GTO ignores lightweight tags too
            if match["deprecated"] or match["created"]:
                continue
            tag = Tag(
                name=name,
                artifact=model,
                commit=commit,
                date=int(date or 0),
                tagger=tagger,
                payload=gto.parse_payload(message),
                version=match["version"],
                stage=match["stage"],
                cancel=match["cancel"] == "!",
                counter=int(match["counter"]) if match["counter"] else None,
            )
            state.tags.append(tag)
        state.tags.sort(key=lambda t: (t.date, t.counter or 0, t.name))
        state.registrations = [t for t in state.tags if t.version]
        state.assignments = [t for t in state.tags if t.stage]
        return state

    def _registered(self, state: _State) -> dict[str, Tag]:
        """version → its registration tag, without deregistered versions."""
        versions: dict[str, Tag] = {}
        for tag in state.registrations:
            if tag.cancel:
                versions.pop(str(tag.version), None)
            else:
                versions[str(tag.version)] = tag
        return versions

    def _version_at(self, state: _State, commit: str) -> str:
        found = [t for t in self._registered(state).values() if t.commit == commit]
        return str(found[-1].version) if found else commit

    def _events(self, model: str, state: _State) -> list[StageEvent]:
        events: list[StageEvent] = []
        for tag in state.assignments:
            version = self._version_at(state, tag.commit)
            payload = tag.payload
            action = "unassign" if tag.cancel else str(payload.get("action") or "assign")
            events.append(
                StageEvent(
                    model=model,
                    stage=str(tag.stage),
                    version=version,
                    previous=None,
                    action=action,
                    timestamp=_iso(tag.date),
                    actor=str(payload.get("actor") or tag.tagger) or None,
                    ref=tag.name,
                )
            )
        # Fill in the previous holder of each stage by replaying the events in order.
        filled: list[StageEvent] = []
        for i, event in enumerate(events):
            before = holders([e for e in events[:i] if e.stage == event.stage])
            previous = before[-1] if before else None
            filled.append(
                StageEvent(**{**event.__dict__, "previous": previous})  # frozen copy
            )
        return filled

    def _stages_of(self, events: Sequence[StageEvent]) -> dict[str, str | None]:
        stages: dict[str, str | None] = {}
        for stage in dict.fromkeys(e.stage for e in events):
            stack = holders([e for e in events if e.stage == stage])
            stages[stage] = stack[-1] if stack else None
        return stages

    def _model_version(
        self, model: str, tag: Tag, stages: Mapping[str, str | None]
    ) -> ModelVersion:
        payload = tag.payload
        metrics = payload.get("metrics")
        files = None
        if payload.get("files") is not None:
            files = files_from_dict(payload["files"], where=f"tag {tag.name}")
        return ModelVersion(
            model=model,
            version=str(tag.version),
            metrics=dict(metrics) if isinstance(metrics, dict) else {},
            source=tag.commit,
            stages=tuple(s for s, v in stages.items() if v == tag.version),
            validation=payload.get("validation")
            if isinstance(payload.get("validation"), str)
            else None,
            commit=tag.commit,
            run_url=payload.get("run_url") if isinstance(payload.get("run_url"), str) else None,
            created_at=_iso(tag.date),
            files=files,
        )

    def versions(self, model: str) -> list[ModelVersion]:
        check_name(model, what="model name")
        self._sync()
        state = self._read(model)
        stages = self._stages_of(self._events(model, state))
        registered = self._registered(state)
        return [
            self._model_version(model, registered[v], stages)
            for v in sorted(registered, key=gto.semver_key)
        ]

    def get(self, model: str, version: str) -> ModelVersion:
        wanted = gto.normalize_version(version)
        for mv in self.versions(model):
            if mv.version == wanted:
                return mv
        raise UsageError(
            f"{model}@{wanted} is not registered; `mlci models --model {model}` lists the versions"
        )

    def resolve(self, model: str, stage: str) -> ModelVersion | None:
        check_name(model, what="model name")
        check_name(stage, what="stage")
        self._sync()
        state = self._read(model)
        events = self._events(model, state)
        check_stage(model, stage, known_stages(self.stages, events), new=True)
        holder = self._stages_of(events).get(stage)
        if holder is None:
            return None
        registered = self._registered(state)
        if holder in registered:
            return self._model_version(model, registered[holder], self._stages_of(events))
        return ModelVersion(
            model=model, version=holder, source=holder, commit=holder, stages=(stage,)
        )

    def history(self, model: str, stage: str | None = None) -> list[StageEvent]:
        check_name(model, what="model name")
        self._sync()
        events = self._events(model, self._read(model))
        return [e for e in events if stage is None or e.stage == stage]

    # ------------------------------------------------------------------ writing

    def _tag(self, state: _State, name: str, commit: str, message: str) -> None:
        last = max((t.date for t in state.tags), default=0)
        date = max(int(time.time()), last + 1)
        env = {**self._identity(), "GIT_COMMITTER_DATE": f"{date} +0000"}
        result = self._git(
            "tag", "-a", "--cleanup=verbatim", "-F", "-", name, commit,
            env=env, input=message, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise UsageError(f"cannot create tag {name}: {one_line(result.stderr)}")

    def register(
        self,
        model: str,
        *,
        metrics: Mapping[str, Any],
        source: str | None = None,
        version: str | None = None,
        validation: bool | None = None,
        files: ModelFiles | None = None,
        files_root: Path | None = None,
    ) -> ModelVersion:
        check_name(model, what="model name")
        if files is not None and files.store == "mlflow":
            raise UsageError("registry.store: mlflow needs registry.backend: mlflow")
        refuse_rejected(model, validation)
        ref = source or "HEAD"
        proc = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        if proc.returncode != 0:
            raise UsageError(f"--source {ref!r} is not a commit in {self.root}")
        commit = proc.stdout.strip()
        self._sync()
        state = self._read(model)
        registered = self._registered(state)
        dumped = dump_metrics(metrics)
        at_commit = [t for t in registered.values() if t.commit == commit]
        if at_commit:
            existing = at_commit[-1]
            if version is None or gto.normalize_version(version) == existing.version:
                # A rerun, or a retrain of the same commit (a scheduled run, a non-deterministic
                # training): GTO versions the commit, so the commit keeps its version and the
                # metrics recorded with it. The caller reports that nothing new was recorded.
                return replace(self.get(model, str(existing.version)), reused=True)
            raise CheckFailed(
                f"commit {commit[:12]} already holds {existing.name}; the git registry (GTO) "
                "records one version per commit — commit the change that produced this model "
                "(code, data or dvc.lock) and register again, or use the mlflow backend"
            )
        if version is not None:
            new = gto.normalize_version(version)
            if new in registered or any(t.version == new for t in state.registrations):
                raise UsageError(f"{model}@{new} is already registered; pick another --version")
        else:
            new = gto.next_version([v for v in (t.version for t in state.registrations) if v])
        payload = {
            "mlci": 1,
            "action": "register",
            "metrics": dumped,
            "commit": commit,
            "run_url": run_url(),
            "actor": actor(),
            "validation": None if validation is None else ("passed" if validation else "failed"),
        }
        if files is not None:
            payload["files"] = files.to_dict()
        name = gto.version_tag(model, new)
        message = gto.annotation(f"Registering {model} version {new}", payload)
        self._tag(state, name, commit, message)
        if self.push:
            self._push([name])
        return self.get(model, new)

    def _assign(
        self,
        model: str,
        state: _State,
        *,
        stage: str,
        version: ModelVersion,
        previous: str | None,
        action: str,
        from_stage: str | None,
    ) -> StageEvent:
        counter = max((t.counter or 0 for t in state.tags), default=0) + 1
        name = gto.stage_tag(model, stage, counter)
        payload = {
            "mlci": 1,
            "action": action,
            "version": version.version,
            "previous": previous,
            "from_stage": from_stage,
            "actor": actor(),
            "run_url": run_url(),
        }
        verb = {"rollback": "Rolling back", "promote": "Promoting", "assign": "Assigning"}[action]
        message = gto.annotation(f"{verb} {model} {version.version} to {stage}", payload)
        self._tag(state, name, str(version.commit), message)
        if self.push:
            self._push([name])
            self._check_race(model, stage, counter, name)
        for event in self.history(model, stage):
            if event.ref == name:
                return event
        raise UsageError(f"tag {name} was created but cannot be read back")  # pragma: no cover

    def _check_race(self, model: str, stage: str, counter: int, name: str) -> None:
        """After a push: did another promotion of the same stage land at the same time?"""
        for other in self._remote_tags():
            match = gto.TAG_RE.match(other)
            if (
                other != name
                and match
                and match["artifact"] == model
                and match["stage"] == stage
                and match["counter"]
                and int(match["counter"]) >= counter
            ):
                raise CheckFailed(
                    f"lost a race: {other} was pushed while {name} was; {stage} now belongs to "
                    f"the later of the two — run `mlci models --model {model}` after fetching tags"
                )

    def promote(
        self, model: str, version: str, *, to_stage: str, from_stage: str | None = None
    ) -> Promotion:
        check_promotion_names(model, to_stage, from_stage)
        self._sync()
        target = self.get(model, version)
        state = self._read(model)
        events = self._events(model, state)
        check_promotion_stages(model, to_stage, from_stage, known_stages(self.stages, events))
        stages = self._stages_of(events)
        current = stages.get(to_stage)
        done = promotion_policy(
            target=target,
            to_stage=to_stage,
            from_stage=from_stage,
            current=current,
            from_holder=stages.get(from_stage) if from_stage else None,
            label=f"{model} {target.version}",
        )
        if done is not None:
            return done
        event = self._assign(
            model,
            state,
            stage=to_stage,
            version=target,
            previous=current,
            action=promotion_action(from_stage),
            from_stage=from_stage,
        )
        return Promotion(
            model=model,
            stage=to_stage,
            version=target.version,
            previous=current,
            changed=True,
            event=event,
        )

    def rollback(self, model: str, stage: str) -> Promotion:
        check_promotion_names(model, stage, None)
        self._sync()
        state = self._read(model)
        events = self._events(model, state)
        check_stage(model, stage, known_stages(self.stages, events))
        current, restore = rollback_target(model, stage, events)
        target = self.get(model, restore)
        event = self._assign(
            model,
            state,
            stage=stage,
            version=target,
            previous=current,
            action="rollback",
            from_stage=None,
        )
        return Promotion(
            model=model,
            stage=stage,
            version=target.version,
            previous=current,
            changed=True,
            event=event,
        )
