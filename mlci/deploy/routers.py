"""Where traffic moves: one small interface, one adapter per kind of platform.

A router knows five moves. The canary and blue-green state machines call them
in order and own every decision; a router only does what it is told and raises
:class:`RouterError` when it could not.

* ``check()`` — before anything moves: is the router usable at all?
* ``deploy()`` — start the new version beside the current one, with no traffic.
* ``set_weight(w)`` — send ``w`` % of the traffic to the new version.
* ``promote()`` — the new version takes 100 % and the old one is retired.
* ``rollback()`` — all traffic back to the old version; the new one is removed.

Adapters: :class:`CommandRouter` runs the user's own commands with ``{weight}``
substituted (nginx, SageMaker production variants, Vertex AI and Azure ML
endpoint traffic splits), :class:`mlci.deploy.kubernetes.KubernetesRouter`
drives ``kubectl``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from mlci.deploy.shell import run_user_command
from mlci.errors import MlciError, UsageError

DEFAULT_COMMAND_TIMEOUT = 600.0


class RouterError(MlciError):
    """A router move failed (after the preflight: the rollout rolls back)."""


class Router(Protocol):
    kind: str

    def check(self) -> None: ...
    def deploy(self) -> None: ...
    def set_weight(self, weight: int) -> None: ...
    def promote(self) -> None: ...
    def rollback(self) -> None: ...


@dataclass(frozen=True)
class Move:
    """What a router did: for the report."""

    action: str
    detail: str
    ok: bool
    output: str = ""


@dataclass
class CommandRouter:
    """The user's commands, run with bash in ``cwd``; ``{weight}`` becomes the canary's %.

    ``deploy``, ``promote`` and ``rollback`` are optional (a router whose
    ``set_weight 0`` already removes the canary needs no ``rollback``);
    ``set_weight`` is required. Every command gets the deploy environment
    (``MLCI_MODEL``, ``MLCI_MODEL_VERSION``, ``MLCI_MODEL_DIR``, ``MLCI_IMAGE``, …)
    plus ``MLCI_WEIGHT`` and ``MLCI_ROLLOUT_ACTION``.
    """

    set_weight_command: str
    deploy_command: str | None = None
    promote_command: str | None = None
    rollback_command: str | None = None
    cwd: Path = field(default_factory=Path.cwd)
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_COMMAND_TIMEOUT
    moves: list[Move] = field(default_factory=list)
    kind: str = "command"

    def check(self) -> None:
        for name, command in self._commands().items():
            if command is not None and not command.strip():
                raise UsageError(f"router.{name} is empty: write the command or remove the key")
        if "{weight}" not in self.set_weight_command:
            raise UsageError(
                "router.set_weight must contain {weight} (the canary's traffic share, 0-100), "
                f"got {self.set_weight_command!r}"
            )
        if not self.cwd.is_dir():
            raise UsageError(f"router commands run in {self.cwd}, which is not a directory")

    def deploy(self) -> None:
        if self.deploy_command:
            self._run("deploy", self.deploy_command, weight=0)

    def set_weight(self, weight: int) -> None:
        self._run("set_weight", self.set_weight_command, weight=weight)

    def promote(self) -> None:
        self._run("set_weight", self.set_weight_command, weight=100)
        if self.promote_command:
            self._run("promote", self.promote_command, weight=100)

    def rollback(self) -> None:
        self._run("set_weight", self.set_weight_command, weight=0)
        if self.rollback_command:
            self._run("rollback", self.rollback_command, weight=0)

    def _commands(self) -> dict[str, str | None]:
        return {
            "set_weight": self.set_weight_command,
            "deploy": self.deploy_command,
            "promote": self.promote_command,
            "rollback": self.rollback_command,
        }

    def _run(self, action: str, template: str, *, weight: int) -> None:
        command = template.replace("{weight}", str(weight))
        ran = run_user_command(
            command, cwd=self.cwd, timeout=self.timeout,
            env={**self.env, "MLCI_WEIGHT": str(weight), "MLCI_ROLLOUT_ACTION": action},
        )  # fmt: skip
        detail = ran.output if ran.returncode is not None else str(ran.problem)
        self.moves.append(Move(action, command, ran.ok, detail))
        if not ran.ok:
            raise RouterError(f"router {action} ({command}) {ran.problem}")
