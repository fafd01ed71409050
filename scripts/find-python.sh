#!/usr/bin/env bash
# Print the path of a Python >= 3.12 for the virtualenv; fall back to 3.11 (Django 5.2 LTS,
# see docs/decisions.md) only when no newer interpreter exists on this machine.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  for v in 3.12 3.13; do
    p=$(pyenv prefix "$v" 2>/dev/null | head -1) && [ -n "$p" ] && candidates+=("$p/bin/python3")
  done
fi
for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12* "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*; do
  [ -x "$d/bin/python3" ] && candidates+=("$d/bin/python3")
done
for n in python3.12 python3.13 python3; do
  p=$(command -v "$n" 2>/dev/null) && candidates+=("$p")
done
for c in "${candidates[@]}"; do
  if [ -x "$c" ] && ok "$c"; then echo "$c"; exit 0; fi
done
p=$(command -v python3) || { echo "no python3 found" >&2; exit 1; }
echo "$p"
