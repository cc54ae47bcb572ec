#!/usr/bin/env bash
# Fails when a tracked file refers to the contract as a file outside this repository.
# The contract lives in docs/contract.md and docs/schema.md; nothing may point beside the
# repository (a `shared` directory next to it, or the old specification file by name).
# Usage: bash scripts/check-self-contained.sh   (from anywhere inside the repository)
# The patterns are written so that this file does not match itself.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

pattern='\.\./shared|/work[/]shared|S[P]EC\.md'
# git grep searches exactly the tracked files (git ls-files) in the work tree; -I skips binaries.
status=0
matches=$(git grep -n -I -E "$pattern") || status=$?
if [ "$status" -gt 1 ]; then
  echo "check-self-contained: git grep failed (status $status)" >&2
  exit 2
fi
if [ "$status" -eq 0 ]; then
  printf '%s\n' "$matches"
  count=$(printf '%s\n' "$matches" | wc -l)
  echo "check-self-contained: FAIL: $count line(s) above refer to a file outside the repository;" \
    "cite docs/contract.md (\"§N\") or docs/schema.md instead" >&2
  exit 1
fi
for doc in docs/contract.md docs/schema.md; do
  if ! git ls-files --error-unmatch "$doc" >/dev/null 2>&1; then
    echo "check-self-contained: FAIL: $doc is not tracked" >&2
    exit 1
  fi
done
echo "check-self-contained: ok ($(git ls-files | wc -l) tracked files, no reference outside the repository)"
