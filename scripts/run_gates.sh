#!/usr/bin/env bash
# Run the given make targets as quality gates, in order: stop at the first failing gate
# (or, with KEEP_GOING=1, run them all and fail at the end), print each gate's wall time
# and the total. Each gate runs in its own process group so
# that anything it leaves behind (a stray simulator, an ansible worker) is stopped with it.
set -uo pipefail

names=()
times=()
states=()
current=""
first_rc=0
t_start=$(date +%s.%N)

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

stop_group() {
    # The gate's group id is the pid of its leader; only that group is signalled.
    [ -n "$current" ] && kill -TERM -- "-$current" 2>/dev/null
    current=""
}

summary() {
    local total passed=0 failed=0 i
    total=$(elapsed "$t_start" "$(date +%s.%N)")
    echo
    echo "Gate wall times:"
    for i in "${!names[@]}"; do
        printf '  %-16s %8ss  %s\n' "${names[$i]}" "${times[$i]}" "${states[$i]}"
        if [ "${states[$i]}" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    printf '  %-16s %8ss\n' "total" "$total"
    echo "gates: $passed passed, $failed failed"
}

# shellcheck disable=SC2329  # called through the trap below
on_signal() {
    stop_group
    summary
    exit 130
}
trap on_signal INT TERM

for gate in "$@"; do
    echo
    echo "==> gate: $gate"
    t0=$(date +%s.%N)
    setsid make --no-print-directory "$gate" &
    current=$!
    wait "$current"
    rc=$?
    stop_group
    names+=("$gate")
    times+=("$(elapsed "$t0" "$(date +%s.%N)")")
    if [ "$rc" -eq 0 ]; then
        states+=(ok)
        continue
    fi
    states+=("FAILED (exit $rc)")
    echo "make test: gate '$gate' failed" >&2
    [ "$first_rc" -ne 0 ] || first_rc=$rc
    if [ "${KEEP_GOING:-0}" != 1 ]; then
        break
    fi
done
summary
exit "$first_rc"
