#!/usr/bin/env bash
# Install mlci from this checkout of the mlci repository into a private virtual
# environment, so that the action never touches the packages of the user's job.
# Every mlci action runs this first; a second call in the same job reuses the
# environment. Usage: install-mlci.sh [EXTRAS]   (e.g. "mlflow")
# Prints nothing on success but the path of the mlci executable on stdout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-}"
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/mlci-venv"
stamp="$venv/.mlci-installed${extras:+-$extras}"

if [ ! -f "$stamp" ]; then
  python="$(command -v python3 || command -v python)"
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "mlci needs Python >= 3.10; set the python-version input")' >&2
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2
  spec="$root"
  [ -n "$extras" ] && spec="$root[$extras]"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec" >&2
  touch "$stamp"
fi
echo "$venv/bin/mlci"
