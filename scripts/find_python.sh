#!/usr/bin/env bash
# Print the path of the first Python X.Y found among the given versions (in order), looking
# under $(pyenv root)/versions/ first (the pyenv shims hide interpreters they do not select)
# and then on PATH. Exit 1 with a message naming what is missing when none is found.
#   usage: scripts/find_python.sh 3.13 3.12
set -uo pipefail

pyenv_root=${PYENV_ROOT:-}
if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then
    pyenv_root=$(pyenv root 2>/dev/null || true)
fi

for want in "$@"; do
    candidates=()
    if [ -n "$pyenv_root" ]; then
        # Newest patch release first.
        while IFS= read -r dir; do
            candidates+=("$dir/bin/python$want")
        done < <(find "$pyenv_root/versions" -maxdepth 1 -name "$want.*" 2>/dev/null | sort -rV)
    fi
    if found=$(command -v "python$want" 2>/dev/null); then
        candidates+=("$found")
    fi
    for python in "${candidates[@]}"; do
        # A pyenv shim exists on PATH for every version and fails when run: try each candidate.
        if "$python" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" \
            >/dev/null 2>&1; then
            echo "$python"
            exit 0
        fi
    done
done

echo "error: none of Python $* found (looked under ${pyenv_root:-<no pyenv root>}/versions/<version>/bin/ and for python<version> on PATH); install one, e.g. pyenv install $1" >&2
exit 1
