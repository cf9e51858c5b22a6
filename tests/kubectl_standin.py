"""A recording stand-in for kubectl: logs every call, replays captured output.

Installed as ``kubectl`` first on PATH by tests/test_kubernetes_router.py. Each
call appends ``{"argv": [...], "stdin": "..."}`` to ``$KUBECTL_STANDIN_LOG`` and
answers from ``$KUBECTL_STANDIN_FIXTURES`` (JSON: the command without the
global ``--context``/``--namespace`` flags → stdout, stderr, rc). ``kustomize``
is offline, so it runs the real kubectl (``$KUBECTL_REAL``). A command with no
fixture fails loudly, so an unexpected call fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def main() -> int:
    args = sys.argv[1:]
    stdin = sys.stdin.read()
    with open(os.environ["KUBECTL_STANDIN_LOG"], "a") as log:
        log.write(json.dumps({"argv": args, "stdin": stdin}) + "\n")
    command, i = [], 0
    while i < len(args):
        if args[i] in ("--context", "--namespace"):
            i += 2
            continue
        command.append(args[i])
        i += 1
    if command[:1] == ["kustomize"]:
        return subprocess.run([os.environ["KUBECTL_REAL"], *command], check=False).returncode
    with open(os.environ["KUBECTL_STANDIN_FIXTURES"]) as fh:
        fixtures = json.load(fh)
    answer = fixtures.get(" ".join(command))
    if answer is None:
        print(f"kubectl stand-in: no fixture for: {' '.join(command)}", file=sys.stderr)
        return 97
    sys.stdout.write(answer.get("stdout", ""))
    sys.stderr.write(answer.get("stderr", ""))
    return int(answer.get("rc", 0))


if __name__ == "__main__":
    raise SystemExit(main())
