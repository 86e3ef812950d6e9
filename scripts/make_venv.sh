#!/usr/bin/env bash
# Make (or keep) a venv made by the first Python X.Y found among the given versions
# (scripts/find_python.sh). A venv made by any other interpreter -- an older checkout's
# Python 3.11 tool venv, say -- is removed and made again rather than silently reused.
#   usage: scripts/make_venv.sh <venv dir> <X.Y> [<X.Y> ...]
#   PYTHON=/path/to/pythonX.Y overrides the search (it must still be one of the versions).
set -euo pipefail

venv=$1
shift
here=$(cd "$(dirname "$0")" && pwd)

if [ -n "${PYTHON:-}" ]; then
    python=$PYTHON
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') ||
        { echo "error: PYTHON=$python does not run" >&2; exit 1; }
    case " $* " in
        *" $version "*) ;;
        *) echo "error: PYTHON=$python is Python $version; $venv needs one of: $*" >&2; exit 1 ;;
    esac
else
    python=$("$here/find_python.sh" "$@")
fi

# What made a venv: its pyvenv.cfg names the interpreter's home and version.
made_by() {
    "$1" -c 'import sys; print(sys.base_prefix, "%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || echo none
}

want=$(made_by "$python")
if [ -e "$venv" ]; then
    have=$(made_by "$venv/bin/python")
    if [ "$have" != "$want" ]; then
        echo "$venv was made by Python '${have}', not by $python ($want): making it again" >&2
        rm -rf "$venv"
    fi
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
