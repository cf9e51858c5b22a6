"""Run .github/workflows/self-test.yml on this machine with act, as GitHub would run it.

    python scripts/self_test_act.py [--keep]

act runs the job on the host (``-P ubuntu-latest=-self-hosted``, the ubuntu-latest leg of
the matrix) in an empty workspace, as a fresh runner has. The two third-party actions the
job uses cannot be fetched here, so stand-ins replace them by their pinned SHA: checkout
copies this working tree (the files git tracks or would track, with uncommitted changes)
to the ``path:`` it is given; setup-python uses the host's Python. Everything else is the
real thing: the workflow file itself, every composite action from ``./mlci/actions/<name>``,
install-mlci.sh (uv from PyPI, hash-checked), and the churn example trained in the job.

Exit status: act's. The log is printed; ``--keep`` keeps the workspace for a look.
Not part of the pytest suite: one run costs about a minute of CPU (docs/development.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "self-test.yml"

CHECKOUT = """\
name: checkout stand-in
description: Copies the mlci working tree ($MLCI_SELF_TEST_SOURCE) to path, as checkout would.
inputs:
  path: {required: false, default: "."}
  persist-credentials: {required: false, default: "true"}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        DEST: ${{ inputs.path }}
      run: mkdir -p "$DEST" && cp -R "$MLCI_SELF_TEST_SOURCE/." "$DEST/"
"""

SETUP_PYTHON = """\
name: setup-python stand-in
description: act on the host uses the host's Python.
inputs:
  python-version: {required: false, default: ""}
runs:
  using: composite
  steps:
    - shell: bash
      run: python3 --version
"""


def pins() -> dict[str, str]:
    table = json.loads((ROOT / "mlci" / "action_pins.json").read_text())
    return {name: table[name]["sha"] for name in ("actions/checkout", "actions/setup-python")}


def copy_working_tree(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # mlci/templates -> ../templates, as git checks it out
            target.symlink_to(source.readlink())
        elif source.is_file():  # a deleted but still tracked file is skipped
            shutil.copy2(source, target)


def main(argv: list[str]) -> int:
    keep = "--keep" in argv
    base = Path(tempfile.mkdtemp(prefix="mlci-self-test-"))
    try:
        source, workspace = base / "source", base / "workspace"
        source.mkdir()
        workspace.mkdir()
        copy_working_tree(source)
        stand_ins = {"actions/checkout": CHECKOUT, "actions/setup-python": SETUP_PYTHON}
        local: list[str] = []
        for action, sha in pins().items():
            folder = base / action.replace("/", "-")
            folder.mkdir()
            (folder / "action.yml").write_text(stand_ins[action])
            local += ["--local-repository", f"{action}@{sha}={folder}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MLCI_"))}
        started = time.monotonic()
        proc = subprocess.run(
            [
                "act", "workflow_dispatch",
                "-W", str(WORKFLOW),
                "-P", "ubuntu-latest=-self-hosted",
                "--matrix", "os:ubuntu-latest",
                "--no-skip-checkout",
                "--env", f"MLCI_SELF_TEST_SOURCE={source}",
                *local,
            ],
            cwd=workspace, env=env, check=False, timeout=1800,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        verdict = "passed" if proc.returncode == 0 else f"FAILED (act exit {proc.returncode})"
        print(f"self-test under act: {verdict} in {elapsed:.0f} s", file=sys.stderr)
        return proc.returncode
    finally:
        if keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
