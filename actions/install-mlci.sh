#!/usr/bin/env bash
# Install mlci from this checkout of the mlci repository into a private virtual
# environment, so that the action never touches the packages of the user's job.
# Every mlci action runs this first; a second call in the same job reuses the
# environment when it holds this very checkout and mlci version with these extras (a
# marker written after each successful install), and installs again otherwise.
# Usage: install-mlci.sh [EXTRAS]   (e.g. "mlflow")
# Prints nothing on success but the path of the mlci executable on stdout.
#
# The installer is uv at the exact version of actions/uv-requirements.txt, fetched with
# `pip install --require-hashes` (every wheel pinned by its SHA-256) into a private folder
# under $RUNNER_TEMP; uv's cache lives there too, and no user config is read (UV_NO_CONFIG).
# uv installs mlci's dependencies; mlci itself runs from this checkout (a .pth file), as
# an editable install does. When any of that fails (an unlisted platform, no network to
# PyPI's files) it falls back to `python -m venv` + `pip install`, as MLCI_INSTALLER=pip
# asks. Nothing is cached across jobs: bench/bench_actions.py measures the cost.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
extras="${1:-}"
base="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
venv="$base/mlci-venv"
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) bin=Scripts exe=.exe ;;
  *) bin=bin exe= ;;
esac
# The marker's first line names the checkout and the mlci version the environment runs,
# each further line one set of extras installed for it. Another checkout or version (two
# refs of mlci in one job) installs again and rewrites the marker, so an action never runs
# another checkout's mlci.
version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$root/mlci/__init__.py")"
marker="$venv/.mlci-installed"
holds="mlci $version from $root"
if [ -f "$marker" ] && [ "$(head -n 1 "$marker")" = "$holds" ] \
  && grep -qxF -- "extras: $extras" "$marker"; then
  echo "$venv/$bin/mlci$exe"
  exit 0
fi

python="$(command -v python3 || command -v python)"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "mlci needs Python >= 3.10; set the python-version input")' >&2
spec="$root"
[ -n "$extras" ] && spec="${root}[$extras]"

with_uv() {
  local tools="$base/mlci-uv"
  local uv="$tools/$bin/uv$exe"
  if [ ! -x "$uv" ]; then
    PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check \
      --no-index --no-deps \
      --only-binary :all: --require-hashes --target "$tools" \
      -r "$here/uv-requirements.txt" >&2 || return 1
    [ -x "$uv" ] || return 1
  fi
  # Dependencies' bytecode is not compiled at install: all of numpy and scipy cost ~6 s of
  # CPU, and a job imports few of their modules (Python compiles those on first import).
  export UV_CACHE_DIR="$tools/cache" UV_NO_CONFIG=1 UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
  local py="$venv/$bin/python$exe"
  if [ ! -x "$py" ]; then
    "$uv" venv --quiet --python "$python" "$venv" >&2 || return 1
  fi
  if [ "$bin" = Scripts ]; then
    # Windows needs the console-script .exe of a real install (a build of the checkout)
    "$uv" pip install --quiet --python "$py" "$spec" >&2
    return
  fi
  # mlci's dependencies (and extras) from pyproject.toml, then mlci itself straight from
  # this checkout, as an editable install would (a .pth naming the checkout, and the
  # console script): building a wheel of the checkout would cost most of the install.
  local extra_args=() extra
  IFS=, read -r -a extra_list <<< "$extras"
  # (the ${a[@]+...} form: bash 3.2, macOS's, calls an empty array unbound under set -u)
  for extra in ${extra_list[@]+"${extra_list[@]}"}; do extra_args+=(--extra "$extra"); done
  "$uv" pip install --quiet --python "$py" -r "$root/pyproject.toml" \
    ${extra_args[@]+"${extra_args[@]}"} >&2 \
    || return 1
  local site
  site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" || return 1
  printf '%s\n' "$root" > "$site/mlci-checkout.pth"
  "$py" -m compileall -q "$root/mlci" >&2 || return 1
  printf '#!%s\nfrom mlci.__main__ import run\n\nrun()\n' "$py" > "$venv/bin/mlci"
  chmod +x "$venv/bin/mlci"
}

with_pip() {
  # a venv made by uv has no pip: start again
  "$venv/$bin/python$exe" -m pip --version > /dev/null 2>&1 || rm -rf "$venv"
  [ -x "$venv/$bin/python$exe" ] || "$python" -m venv "$venv" >&2
  "$venv/$bin/python$exe" -m pip install --quiet --disable-pip-version-check "$spec" >&2
}

if [ "${MLCI_INSTALLER:-uv}" = pip ]; then
  with_pip
elif ! with_uv; then
  echo "install-mlci.sh: uv could not install mlci; falling back to pip" >&2
  rm -rf "$venv"
  with_pip
fi
if [ -f "$marker" ] && [ "$(head -n 1 "$marker")" = "$holds" ]; then
  printf 'extras: %s\n' "$extras" >> "$marker"
else
  printf '%s\nextras: %s\n' "$holds" "$extras" > "$marker"
fi
echo "$venv/$bin/mlci$exe"
