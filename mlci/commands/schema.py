"""``mlci schema``: the JSON Schema of mlci.yaml, for editors and validators."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.commands import Result


@dataclass(frozen=True)
class SchemaResult(Result):
    schema: Mapping[str, Any]

    def render_text(self) -> str:
        return json.dumps(self.schema, indent=2, sort_keys=False) + "\n"


def run() -> SchemaResult:
    """The schema the ``Config`` model defines (the one source of it)."""
    from mlci import config

    return SchemaResult(schema=config.json_schema())
