"""The MLflow registry: stages are aliases on a tracking server's registered model.

Works with the ``mlflow-skinny`` client (``pip install 'mlci[mlflow]'``);
MLflow is imported only when this backend is opened.

* ``register`` creates a model version. Its metrics, validation verdict, commit
  and run URL are model-version tags (``mlci.metrics`` …). The source is the
  model the training logged: with MLflow 3, ``runs:/<run>/<name>`` is resolved
  to the logged model (``models:/m-…``) so the registered version loads.
* A stage is the alias of the same name (``production`` …). MLflow keeps no
  alias history, so each change is appended as a registered-model tag
  ``mlci.history.<n>`` (JSON), and ``rollback`` reads it.
* Promotions of one model are serialised by a lock: a registered model named
  ``<model>.mlci-lock`` that exists only while a promotion runs (creating a
  registered model is atomic on the server; a lock older than ten minutes is
  a leftover of a crash and is broken). Inside the lock the alias is read,
  checked and set — a check-and-set that cannot interleave with another.
* With ``copy_to_stage_models`` a promotion also copies the version into the
  registered model ``<model>-<stage>`` (``copy_model_version``), the
  one-model-per-environment layout MLflow recommends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mlci.errors import CheckFailed, UsageError, one_line
from mlci.manifest import ModelFiles, files_from_dict
from mlci.names import check_name
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
    now_iso,
    promotion_action,
    promotion_policy,
    refuse_rejected,
    rollback_target,
    run_url,
)

HISTORY_PREFIX = "mlci.history."
LOCK_SUFFIX = ".mlci-lock"
STALE_LOCK_SECONDS = 600
_RUNS_URI = re.compile(r"^runs:/(?P<run>[^/]+)/(?P<path>.+)$")
_LOGGED_MODEL_URI = re.compile(r"^models:/(?P<id>m-[0-9a-f]+)$")
#: Model-version tags of the files record: the record's JSON in chunks (a tag value holds
#: at most 5000 characters), and the digest and store on their own for the UI.
FILES_TAG = "mlci.files."
FILES_CHUNK = 4000
#: Where the mlflow store keeps the files: this folder of the version's run's artifacts.
FILES_ARTIFACT_PATH = "mlci-model"


def files_tags(files: ModelFiles) -> dict[str, str]:
    """The model-version tags that record ``files``."""
    text = json.dumps(files.to_dict(), sort_keys=True, separators=(",", ":"))
    chunks = [text[i : i + FILES_CHUNK] for i in range(0, len(text), FILES_CHUNK)]
    tags = {f"{FILES_TAG}{n:03d}": chunk for n, chunk in enumerate(chunks)}
    tags["mlci.digest"] = files.digest
    tags["mlci.store"] = files.store
    if files.image:
        tags["mlci.image"] = files.image
    return tags


def files_from_tags(tags: Mapping[str, str], *, where: str) -> ModelFiles | None:
    chunks = sorted((k, v) for k, v in tags.items() if k.startswith(FILES_TAG))
    if not chunks:
        return None
    text = "".join(v for _, v in chunks)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise UsageError(f"{where}: malformed model files record in its mlci.files tags") from None
    return files_from_dict(data, where=where)


def _redact(uri: str) -> str:
    """A tracking URI without its user:password, for messages."""
    parts = urlsplit(uri)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, f"***@{host}", parts.path, "", ""))
    return uri


def _fail_fast() -> None:
    """Fail fast on an unreachable server instead of MLflow's minutes of retries."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    # stderr carries one line on failure; no progress bars around it.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def load_run_metrics(run_id: str) -> dict[str, Any]:
    """The metrics an MLflow run logged (latest value of each), from ``$MLFLOW_TRACKING_URI``."""
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri:
        raise UsageError(
            f"--run-id {run_id}: set MLFLOW_TRACKING_URI to the tracking server that holds the run"
        )
    _fail_fast()
    try:
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException
    except ImportError:
        raise UsageError(
            "--run-id needs the MLflow client: install mlci[mlflow] (brings mlflow-skinny)"
        ) from None
    try:
        run = MlflowClient(tracking_uri=uri).get_run(run_id)
    except MlflowException as exc:
        code = str(getattr(exc, "error_code", ""))
        if code == "RESOURCE_DOES_NOT_EXIST":
            raise UsageError(f"--run-id {run_id}: no such run on the tracking server") from None
        text = " ".join(str(getattr(exc, "message", exc)).split())
        if "Max retries exceeded" in text or "Connection" in text or "timed out" in text:
            raise UsageError(
                f"--run-id {run_id}: cannot reach MLflow at {_redact(uri)}; "
                "check MLFLOW_TRACKING_URI and the server"
            ) from None
        raise UsageError(
            f"--run-id {run_id}: MLflow at {_redact(uri)} said: {text[:300]}"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"--run-id {run_id}: cannot reach MLflow at {_redact(uri)} ({exc})"
        ) from None
    return {str(key): value for key, value in dict(run.data.metrics).items()}


class MlflowRegistry:
    """Aliases on an MLflow tracking server."""

    backend = "mlflow"

    def __init__(
        self,
        *,
        tracking_uri: str,
        copy_to_stage_models: bool = False,
        lock_wait: float = 20.0,
        stages: Sequence[str] = (),
    ) -> None:
        if not tracking_uri:
            raise UsageError(
                "the mlflow registry needs the tracking server's URI: set MLFLOW_TRACKING_URI "
                "(in the workflow, from the secret registry.tracking_uri_secret names)"
            )
        _fail_fast()
        try:
            from mlflow import MlflowClient
        except ImportError:
            raise UsageError(
                "the mlflow registry backend needs the MLflow client: install mlci[mlflow] "
                "(pip install 'mlci[mlflow]', which brings mlflow-skinny)"
            ) from None
        self.tracking_uri = tracking_uri
        #: ``registry.stages`` of mlci.yaml: known stages before any version holds them.
        self.stages = tuple(stages)
        self.copy_to_stage_models = copy_to_stage_models
        self.lock_wait = lock_wait
        self._client: Any = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    # ------------------------------------------------------------------ errors

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        from mlflow.exceptions import MlflowException

        try:
            yield
        except MlflowException as exc:
            raise UsageError(self._describe(exc, what)) from None
        except OSError as exc:
            raise UsageError(
                f"{what}: cannot reach MLflow at {_redact(self.tracking_uri)} ({exc})"
            ) from None

    def _describe(self, exc: Any, what: str) -> str:
        code = str(getattr(exc, "error_code", ""))
        text = one_line(str(getattr(exc, "message", exc)))
        where = _redact(self.tracking_uri)
        if "Max retries exceeded" in text or "Connection" in text or "timed out" in text:
            return (
                f"{what}: cannot reach MLflow at {where}; check MLFLOW_TRACKING_URI and the server"
            )
        if code in ("PERMISSION_DENIED", "UNAUTHENTICATED", "CUSTOMER_UNAUTHORIZED") or any(
            s in text for s in (" 401", " 403", "Unauthorized", "Forbidden")
        ):
            return (
                f"{what}: MLflow at {where} denied access ({code or 'forbidden'}); "
                "check the credentials"
            )
        if code == "RESOURCE_DOES_NOT_EXIST":
            return f"{what}: not found on MLflow at {where}"
        return f"{what}: MLflow at {where} said: {text[:300]}"

    @staticmethod
    def _code(exc: Any) -> str:
        return str(getattr(exc, "error_code", ""))

    # ------------------------------------------------------------------ reading

    def _registered_model(self, model: str, *, missing_ok: bool = False) -> Any:
        from mlflow.exceptions import MlflowException

        try:
            return self._client.get_registered_model(model)
        except MlflowException as exc:
            if self._code(exc) == "RESOURCE_DOES_NOT_EXIST":
                if missing_ok:
                    return None
                raise UsageError(
                    f"model {model!r} is not registered on MLflow at {_redact(self.tracking_uri)}; "
                    "register a version first (mlci register-model)"
                ) from None
            raise UsageError(self._describe(exc, f"model {model!r}")) from None
        except OSError as exc:
            raise UsageError(
                f"cannot reach MLflow at {_redact(self.tracking_uri)} ({exc})"
            ) from None

    def _to_version(self, mv: Any) -> ModelVersion:
        tags = dict(mv.tags or {})
        metrics: dict[str, Any] = {}
        raw = tags.get("mlci.metrics")
        if raw:
            with contextlib.suppress(json.JSONDecodeError):
                loaded = json.loads(raw)
                if isinstance(loaded, dict):
                    metrics = loaded
        elif mv.run_id:
            # Registered outside mlci: the metrics its run logged.
            with self._errors(f"run {mv.run_id}"):
                metrics = dict(self._client.get_run(mv.run_id).data.metrics)
        created = None
        if mv.creation_timestamp:
            created = datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=timezone.utc)
            created = created.replace(microsecond=0)
        return ModelVersion(
            model=mv.name,
            version=str(mv.version),
            metrics=metrics,
            source=mv.source,
            stages=tuple(mv.aliases or ()),
            validation=tags.get("mlci.validation"),
            commit=tags.get("mlci.commit"),
            run_url=tags.get("mlci.run_url") or getattr(mv, "run_link", None) or None,
            created_at=created.isoformat() if created else None,
            files=files_from_tags(tags, where=f"{mv.name} version {mv.version}"),
        )

    def get(self, model: str, version: str) -> ModelVersion:
        from mlflow.exceptions import MlflowException

        check_name(model, what="model name")
        if not str(version).isdigit():
            raise UsageError(f"model version {version!r}: MLflow versions are numbers such as 3")
        self._registered_model(model)
        try:
            mv = self._client.get_model_version(model, str(version))
        except MlflowException as exc:
            if self._code(exc) == "RESOURCE_DOES_NOT_EXIST":
                raise UsageError(
                    f"{model} version {version} does not exist; "
                    f"`mlci models --model {model}` lists the versions"
                ) from None
            raise UsageError(self._describe(exc, f"{model} version {version}")) from None
        return self._to_version(mv)

    def versions(self, model: str) -> list[ModelVersion]:
        check_name(model, what="model name")
        # A model never registered has no versions, as in the git backend (the retraining
        # trigger's first run); an unreachable server still raises.
        registered = self._registered_model(model, missing_ok=True)
        if registered is None:
            return []
        with self._errors(f"versions of {model}"):
            found = list(self._client.search_model_versions(f"name = '{model}'"))
        # Search results carry no aliases; the registered model has them all.
        aliases: dict[str, list[str]] = {}
        for alias, version in dict(registered.aliases or {}).items():
            aliases.setdefault(str(version), []).append(str(alias))
        versions = [
            dataclasses.replace(v, stages=tuple(aliases.get(v.version, ())))
            for v in (self._to_version(mv) for mv in found)
        ]
        return sorted(versions, key=lambda v: int(v.version))

    def resolve(self, model: str, stage: str) -> ModelVersion | None:
        from mlflow.exceptions import MlflowException

        check_name(model, what="model name")
        check_name(stage, what="stage")
        registered = self._registered_model(model, missing_ok=True)
        if registered is None:
            return None
        check_stage(model, stage, self._known_stages(registered), new=True)
        try:
            mv = self._client.get_model_version_by_alias(model, stage)
        except MlflowException as exc:
            if self._code(exc) in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE") and (
                "not found" in str(exc)
            ):
                return None
            raise UsageError(self._describe(exc, f"{model}@{stage}")) from None
        except OSError as exc:
            raise UsageError(
                f"cannot reach MLflow at {_redact(self.tracking_uri)} ({exc})"
            ) from None
        return self._to_version(mv)

    def _history(self, registered: Any) -> list[tuple[int, StageEvent]]:
        events: list[tuple[int, StageEvent]] = []
        for key, value in dict(registered.tags or {}).items():
            if not key.startswith(HISTORY_PREFIX):
                continue
            seq = key[len(HISTORY_PREFIX) :]
            try:
                data = json.loads(value)
            except json.JSONDecodeError:
                continue
            if not seq.isdigit() or not isinstance(data, dict):
                continue
            events.append(
                (
                    int(seq),
                    StageEvent(
                        model=registered.name,
                        stage=str(data.get("stage")),
                        version=data.get("version"),
                        previous=data.get("previous"),
                        action=str(data.get("action")),
                        timestamp=str(data.get("timestamp")),
                        actor=data.get("actor"),
                        ref=key,
                    ),
                )
            )
        return sorted(events, key=lambda item: item[0])

    def _known_stages(self, registered: Any) -> set[str]:
        """The roles, ``registry.stages``, the stages of the history and the aliases set now
        (also those set outside mlci)."""
        events = [e for _, e in self._history(registered)]
        return known_stages(self.stages, events) | set(dict(registered.aliases or {}))

    def history(self, model: str, stage: str | None = None) -> list[StageEvent]:
        check_name(model, what="model name")
        registered = self._registered_model(model)
        return [e for _, e in self._history(registered) if stage is None or e.stage == stage]

    # ------------------------------------------------------------------ writing

    def _source(self, source: str) -> tuple[str, str | None, str | None]:
        """(source URI, run id, logged model id) for create_model_version."""
        from mlflow.exceptions import MlflowException

        logged = _LOGGED_MODEL_URI.match(source)
        if logged:
            with self._errors(f"logged model {source}"):
                lm = self._client.get_logged_model(logged["id"])
            return source, lm.source_run_id, lm.model_id
        runs = _RUNS_URI.match(source)
        if runs:
            with self._errors(f"run {runs['run']}"):
                run = self._client.get_run(runs["run"])
            # MLflow 3 stores log_model(name=...) in the logged-model store: a version
            # registered from runs:/… would not load; register the logged model instead.
            try:
                found = list(
                    self._client.search_logged_models(
                        experiment_ids=[run.info.experiment_id],
                        filter_string=(
                            f"source_run_id = '{runs['run']}' AND name = '{runs['path']}'"
                        ),
                    )
                )
            except (MlflowException, AttributeError):
                found = []  # an MLflow 2 server: runs:/ is the model's location
            if found:
                return f"models:/{found[0].model_id}", runs["run"], found[0].model_id
            return source, runs["run"], None
        return source, None, None

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
        from mlflow.exceptions import MlflowException

        check_name(model, what="model name")
        if files is not None and files.store == "github-release":
            raise UsageError(
                "registry.store: github-release needs registry.backend: git "
                "(a release belongs to a version tag); use mlflow, dvc or none"
            )
        if version is not None:
            raise UsageError("MLflow numbers model versions itself; drop --model-version")
        if not source:
            raise UsageError(
                "the mlflow registry needs --source: the model your training logged, "
                "e.g. models:/m-… (log_model's model_uri) or runs:/<run id>/model"
            )
        refuse_rejected(model, validation)
        uri, run_id, model_id = self._source(source)
        tags = {
            "mlci.metrics": json.dumps(dump_metrics(metrics), sort_keys=True),
            "mlci.registered_by": "mlci",
        }
        if validation is not None:
            tags["mlci.validation"] = "passed" if validation else "failed"
        if os.environ.get("GITHUB_SHA"):
            tags["mlci.commit"] = os.environ["GITHUB_SHA"]
        url = run_url()
        if url:
            tags["mlci.run_url"] = url
        if files is not None:
            if files.store == "mlflow":
                if not run_id:
                    raise UsageError(
                        f"{model}: registry.store: mlflow keeps the files with the run that "
                        f"logged the model, and {source} has none; log the model inside a run"
                    )
                if files_root is None:
                    raise UsageError("the mlflow store needs the model files to upload")
                self._upload_files(run_id, files_root, files)
                files = ModelFiles(
                    manifest=files.manifest,
                    store="mlflow",
                    location={"run_id": run_id, "artifact_path": FILES_ARTIFACT_PATH},
                )
            tags.update(files_tags(files))
        if len(tags["mlci.metrics"]) > 5000:
            raise UsageError(
                f"{model}: the metrics are {len(tags['mlci.metrics'])} characters as JSON, more "
                "than an MLflow tag holds (5000); keep the metrics file to the scalar metrics"
            )
        if self._registered_model(model, missing_ok=True) is None:
            try:
                self._client.create_registered_model(model)
            except MlflowException as exc:
                if self._code(exc) != "RESOURCE_ALREADY_EXISTS":  # registered concurrently
                    raise UsageError(self._describe(exc, f"registering {model}")) from None
        with self._errors(f"registering a version of {model}"):
            mv = self._client.create_model_version(
                name=model, source=uri, run_id=run_id, tags=tags, run_link=url, model_id=model_id
            )
        return self._to_version(mv)

    # ------------------------------------------------------------------ the mlflow store

    def _upload_files(self, run_id: str, root: Path, files: ModelFiles) -> None:
        """Log every file of the manifest as an artifact of the run, at its manifest path."""
        for entry in files.manifest.files:
            parent = entry.path.rpartition("/")[0]
            artifact_path = f"{FILES_ARTIFACT_PATH}/{parent}" if parent else FILES_ARTIFACT_PATH
            with self._errors(f"uploading {entry.path} to run {run_id}"):
                self._client.log_artifact(run_id, str(root / entry.path), artifact_path)

    def download_files(self, files: ModelFiles, dest: Path) -> None:
        """Download the files the mlflow store keeps for a version into ``dest`` (not yet there)."""
        import shutil
        import tempfile

        run_id = files.location.get("run_id")
        path = files.location.get("artifact_path")
        if not isinstance(run_id, str) or not isinstance(path, str):
            raise UsageError("the version's mlflow store record names no run and artifact path")
        scratch = Path(tempfile.mkdtemp(prefix=".mlci-mlflow-", dir=dest.parent))
        try:
            with self._errors(f"downloading the model files of run {run_id}"):
                self._client.download_artifacts(run_id, path, str(scratch))
            fetched = scratch / path
            if not fetched.is_dir():
                raise UsageError(f"run {run_id} holds no {path}/ artifacts (the files are missing)")
            fetched.rename(dest)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @contextlib.contextmanager
    def _lock(self, model: str) -> Iterator[None]:
        from mlflow.exceptions import MlflowException

        name = model + LOCK_SUFFIX
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                self._client.create_registered_model(
                    name, description=f"mlci: a promotion of {model} is running (lock)"
                )
                break
            except MlflowException as exc:
                if self._code(exc) != "RESOURCE_ALREADY_EXISTS":
                    raise UsageError(self._describe(exc, f"locking {model}")) from None
            except OSError as exc:
                raise UsageError(
                    f"cannot reach MLflow at {_redact(self.tracking_uri)} ({exc})"
                ) from None
            held = self._registered_model(name, missing_ok=True)
            if (
                held is not None
                and time.time() - held.creation_timestamp / 1000 > STALE_LOCK_SECONDS
            ):
                with contextlib.suppress(MlflowException):
                    self._client.delete_registered_model(name)  # a crashed promotion's leftover
                continue
            if time.monotonic() > deadline:
                raise CheckFailed(
                    f"another promotion of {model} is running (lock: registered model {name!r}); "
                    "nothing was changed — rerun when it is done, or delete that registered model "
                    "if no promotion is running"
                )
            time.sleep(0.25)
        try:
            yield
        finally:
            with contextlib.suppress(MlflowException, OSError):
                self._client.delete_registered_model(name)

    def _set(
        self,
        model: str,
        registered: Any,
        *,
        stage: str,
        version: str,
        previous: str | None,
        action: str,
        from_stage: str | None,
    ) -> StageEvent:
        from mlflow.exceptions import MlflowException

        seq = max((s for s, _ in self._history(registered)), default=0) + 1
        key = f"{HISTORY_PREFIX}{seq:06d}"
        record = {
            "stage": stage,
            "version": version,
            "previous": previous,
            "action": action,
            "from_stage": from_stage,
            "timestamp": now_iso(),
            "actor": actor(),
            "run_url": run_url(),
        }
        with self._errors(f"setting {model}@{stage}"):
            self._client.set_registered_model_alias(model, stage, version)
        try:
            self._client.set_registered_model_tag(model, key, json.dumps(record, sort_keys=True))
        except (MlflowException, OSError) as exc:
            # Put the alias back: no stage change without its history entry.
            with contextlib.suppress(MlflowException, OSError):
                if previous is None:
                    self._client.delete_registered_model_alias(model, stage)
                else:
                    self._client.set_registered_model_alias(model, stage, previous)
            raise UsageError(
                f"recording the history of {model}@{stage} failed, alias restored: "
                f"{one_line(str(exc))[:200]}"
            ) from None
        if self.copy_to_stage_models:
            target = f"{model}-{stage}"
            with self._errors(f"copying {model} version {version} to {target}"):
                copied = self._client.copy_model_version(f"models:/{model}/{version}", target)
                self._client.set_registered_model_alias(target, stage, str(copied.version))
        return StageEvent(
            model=model,
            stage=stage,
            version=version,
            previous=previous,
            action=action,
            timestamp=str(record["timestamp"]),
            actor=record["actor"],
            ref=key,
        )

    def promote(
        self, model: str, version: str, *, to_stage: str, from_stage: str | None = None
    ) -> Promotion:
        check_promotion_names(model, to_stage, from_stage)
        target = self.get(model, version)
        check_promotion_stages(
            model, to_stage, from_stage, self._known_stages(self._registered_model(model))
        )
        label = f"{model} version {target.version}"

        def holder(stage: str) -> str | None:
            held = self.resolve(model, stage)
            return held.version if held is not None else None

        # Without the lock first: a no-op or a refused verdict needs no lock.
        done = promotion_policy(
            target=target,
            to_stage=to_stage,
            from_stage=None,
            current=holder(to_stage),
            from_holder=None,
            label=label,
        )
        if done is not None:
            return done
        with self._lock(model):
            # Check-and-set: read again inside the lock, nobody else writes now.
            previous = holder(to_stage)
            done = promotion_policy(
                target=target,
                to_stage=to_stage,
                from_stage=from_stage,
                current=previous,
                from_holder=holder(from_stage) if from_stage else None,
                label=label,
            )
            if done is not None:
                return done
            event = self._set(
                model,
                self._registered_model(model),
                stage=to_stage,
                version=target.version,
                previous=previous,
                action=promotion_action(from_stage),
                from_stage=from_stage,
            )
        return Promotion(
            model=model,
            stage=to_stage,
            version=target.version,
            previous=previous,
            changed=True,
            event=event,
        )

    def rollback(self, model: str, stage: str) -> Promotion:
        check_promotion_names(model, stage, None)
        check_stage(model, stage, self._known_stages(self._registered_model(model)))
        with self._lock(model):
            registered = self._registered_model(model)
            events = [e for _, e in self._history(registered) if e.stage == stage]
            current = self.resolve(model, stage)
            if current is not None and (holders(events) or [None])[-1] != current.version:
                # The alias was moved outside mlci: count that as the latest assignment.
                events.append(
                    StageEvent(
                        model=model,
                        stage=stage,
                        version=current.version,
                        previous=None,
                        action="assign",
                        timestamp=now_iso(),
                    )
                )
            now, restore = rollback_target(model, stage, events)
            self.get(model, restore)
            event = self._set(
                model,
                registered,
                stage=stage,
                version=restore,
                previous=now,
                action="rollback",
                from_stage=None,
            )
        return Promotion(
            model=model, stage=stage, version=restore, previous=now, changed=True, event=event
        )
