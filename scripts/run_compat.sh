#!/usr/bin/env bash
# Run the unit and integration suites once per given ansible-core venv, in sequence, and print
# one summary line per version (its pytest counts and wall time). Every version runs even when
# an earlier one failed; the exit status is the first failure's.
#   usage: scripts/run_compat.sh .venvs/core-2.16 .venvs/core-2.17 ...
#   COMPAT_TESTS="tests/integration/test_role_servers.py" narrows the run (default: both suites).
#   COMPAT_MARKS: the pytest -m expression (default "not core_independent": the unit suite and the
#   integration tests tests/integration/conftest.py names as version-sensitive; "" runs everything).
set -uo pipefail

# tests/unit/scripts tests the repository's own scripts, not the collection on an ansible-core.
read -r -a suites <<<"${COMPAT_TESTS:-tests/unit/plugins tests/unit/extensions tests/integration}"
marks=${COMPAT_MARKS-not core_independent}
select=()
[ -z "$marks" ] || select=(-m "$marks")
summary=()
first_rc=0

for venv in "$@"; do
    python="$venv/bin/python"
    version=$("$python" -c 'from ansible.release import __version__; print(__version__)') || {
        echo "compat: $venv has no ansible-core" >&2
        exit 2
    }
    echo
    echo "==> ansible-core $version ($venv)"
    log=$(mktemp)
    t0=$(date +%s.%N)
    # The tests run ansible-playbook / ansible-inventory from the interpreter's own bin/.
    "$python" -m pytest -p no:cacheprovider -n "${COMPAT_WORKERS:-4}" "${select[@]}" "${suites[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    counts=$(tail -n 1 "$log" | grep -Eo '[0-9]+ (passed|failed|errors?|skipped|xfailed|xpassed|deselected)' | paste -sd, -)
    rm -f "$log"
    # pytest exits 5 when it collected nothing: for these suites that is a failure too.
    state=ok
    if [ "$rc" -ne 0 ]; then
        state="FAILED (exit $rc)"
        [ "$first_rc" -ne 0 ] || first_rc=$rc
    fi
    summary+=("$(printf '  ansible-core %-8s %-40s %8ss  %s' "$version" "${counts:-no tests}" "$seconds" "$state")")
done

echo
echo "Compatibility (unit + integration suites per ansible-core):"
printf '%s\n' "${summary[@]}"
exit "$first_rc"
