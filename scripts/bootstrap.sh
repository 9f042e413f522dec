#!/usr/bin/env bash
# Sets up everything the project needs on a fresh machine, idempotently (fast when done).
#   scripts/bootstrap.sh          Python env for the program and `blueprint` (uv + .venv from uv.lock)
#   scripts/bootstrap.sh --test   also the test-only pieces: pyspark, Java and redis-server
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never   # use the machine's Python 3.11; never download one
UV_VERSION=0.13.9

if ! python3 -m uv --version >/dev/null 2>&1; then
  echo "bootstrap: installing uv ${UV_VERSION}" >&2
  python3 -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --user "uv==${UV_VERSION}"
fi

groups=()
if [[ "${1:-}" == "--test" ]]; then
  groups=(--group spark)
  missing=()
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      echo "bootstrap: installing ${missing[*]} (Debian packages)" >&2
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "bootstrap: please install ${missing[*]} (the Spark job and cache tests need them)" >&2
      exit 1
    fi
  fi
fi
# --inexact: a plain setup keeps what --test added (pyspark), so plan and test can share one .venv
# --compile-bytecode: import pulumi_aws from .pyc even where PYTHONDONTWRITEBYTECODE is set (a cold plan 17.7 -> 10 s)
python3 -m uv sync --frozen --inexact --compile-bytecode --quiet "${groups[@]}"
# the project's own modules too (a module edited since is recompiled in memory, as without this)
.venv/bin/python -m compileall -q -j0 infra policies/streaming_policies >/dev/null
