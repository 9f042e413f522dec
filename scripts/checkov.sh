#!/usr/bin/env bash
# Scans every stack's offline plan with checkov, as the Terraform plan JSON that
# `blueprint export` writes, and fails on any finding not listed (with a design reason)
# in security/checkov-exceptions.yaml, or on a stale exception.
# checkov is pinned and lives in its own venv (.cache/checkov-venv), so its dependencies
# never touch the project's uv.lock; it runs offline (--skip-download).
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
CHECKOV_VERSION=3.3.30
VENV=.cache/checkov-venv
OUT=out/checkov

scripts/bootstrap.sh
if [[ "$("$VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]]; then
  echo "checkov: installing checkov ${CHECKOV_VERSION} into ${VENV}" >&2
  python3 -m uv venv --quiet --clear "$VENV"
  python3 -m uv pip install --quiet --python "$VENV/bin/python" "checkov==${CHECKOV_VERSION}"
fi

rm -rf "$OUT" && mkdir -p "$OUT"
mapfile -t stacks < <(.venv/bin/python -c 'from infra.config import list_stacks; print("\n".join(list_stacks()))')
.venv/bin/blueprint export "${stacks[@]}" -o "$OUT"
files=()
for stack in "${stacks[@]}"; do files+=(-f "$OUT/$stack.tfplan.json"); done
status=0
"$VENV/bin/checkov" "${files[@]}" --framework terraform_plan --skip-download --quiet --compact \
  --output json >"$OUT/report.json" 2>"$OUT/checkov.log" || status=$?
if ((status > 1)); then  # 1 means "failed checks", judged below; anything else is checkov failing
  cat "$OUT/checkov.log" >&2
  exit "$status"
fi
.venv/bin/python -m infra.export.checkov_findings "$OUT/report.json"
