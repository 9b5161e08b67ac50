#!/bin/sh
# Print a Python 3.10 interpreter: python3.10 on PATH if it runs, else one under pyenv.
for candidate in "${PYTHON310:-}" python3.10 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
echo "python3.10 not found: install Python 3.10 (Rasa 3.6 does not run on 3.11+)" >&2
exit 1
