#!/usr/bin/env bash
# Runs the black-box pytest suite (tests/integration) with one of the two boto3 generations.
#
#   scripts/run-tests.sh [--boto 1.26|1.43] [pytest args...]
#
#   --boto 1.26  Debian's /usr/bin/python3 with its own boto3 1.26 / botocore 1.29 (the default)
#   --boto 1.43  the same interpreter and pytest, but boto3/botocore (and their dependencies) taken
#                from the machine image's Python (boto3 1.43, which has no pytest of its own): a
#                directory holding only those packages goes first on PYTHONPATH. The conftest
#                fails the run if a different botocore than expected gets imported.
#
# Environment: RUNNEL_BIN (server binary, default build/runnel), RUNNEL_URL (use a running server),
# RUNNEL_NEW_BOTO_PYTHON (the interpreter that has boto3 1.43; default: python3 on PATH that is not
# /usr/bin/python3, else ~/.pyenv/shims/python3).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
boto=1.26
if [ "${1:-}" = "--boto" ]; then
  boto="$2"
  shift 2
fi

pytest_python=/usr/bin/python3
suite="$repo/tests/integration"

case "$boto" in
  1.26)
    export RUNNEL_EXPECT_BOTO3=1.26 RUNNEL_EXPECT_BOTOCORE=1.29
    ;;
  1.43)
    new_python="${RUNNEL_NEW_BOTO_PYTHON:-}"
    if [ -z "$new_python" ]; then
      candidate="$(command -v python3 || true)"
      if [ -n "$candidate" ] && [ "$(readlink -f "$candidate")" != "$(readlink -f /usr/bin/python3)" ]; then
        new_python="$candidate"
      elif [ -x "$HOME/.pyenv/shims/python3" ]; then
        new_python="$HOME/.pyenv/shims/python3"
      else
        echo "run-tests: no Python with boto3 1.43 found (set RUNNEL_NEW_BOTO_PYTHON)" >&2
        exit 2
      fi
    fi
    # botocore is pure Python, but keep the interpreters on the same minor version anyway.
    want="$("$pytest_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    have="$("$new_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if [ "$want" != "$have" ]; then
      echo "run-tests: $new_python is Python $have but pytest runs on $want" >&2
      exit 2
    fi
    site="$("$new_python" -c 'import botocore, os; print(os.path.dirname(os.path.dirname(botocore.__file__)))')"
    shim="$(mktemp -d "${TMPDIR:-/tmp}/runnel-boto-XXXXXX")"
    trap 'rm -rf "$shim"' EXIT
    # Only the client stack, so pytest keeps using Debian's own dependencies (attrs, pluggy, ...).
    for pkg in boto3 botocore s3transfer jmespath dateutil urllib3 six.py certifi; do
      if [ -e "$site/$pkg" ]; then
        ln -s "$site/$pkg" "$shim/$pkg"
      fi
    done
    export PYTHONPATH="$shim${PYTHONPATH:+:$PYTHONPATH}"
    export RUNNEL_EXPECT_BOTO3=1.43 RUNNEL_EXPECT_BOTOCORE=1.43
    ;;
  *)
    echo "run-tests: --boto must be 1.26 or 1.43" >&2
    exit 2
    ;;
esac

cd "$repo"
# Run the whole suite unless a test file or directory was named.
targets=("$suite")
for arg in "$@"; do
  if [ -e "${arg%%::*}" ]; then
    targets=()
    break
  fi
done
set +e
"$pytest_python" -m pytest -q -p no:cacheprovider "${targets[@]}" "$@"
rc=$?
exit $rc
