#!/usr/bin/env bash
# Run the given make targets as quality gates, in order: stop at the first failing gate
# (or, with KEEP_GOING=1, run them all and fail at the end), print each gate's wall time
# and the total. A word `a+b` runs gates a and b at the same time (a gate that mostly waits
# beside one that computes). Each gate runs in its own process group so that anything it
# leaves behind (a stray simulator, an ansible worker) is stopped with it.
set -uo pipefail

names=()
times=()
states=()
running=()
first_rc=0
t_start=$(date +%s.%N)

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

stop_groups() {
    # A group's id is the pid of its leader; only those groups are signalled.
    local pid
    for pid in "${running[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
    running=()
}

summary() {
    local passed=0 failed=0 i
    echo
    echo "Gate wall times:"
    for i in "${!names[@]}"; do
        printf '  %-16s %8ss  %s\n' "${names[$i]}" "${times[$i]}" "${states[$i]}"
        if [ "${states[$i]}" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    printf '  %-16s %8ss\n' "total" "$(elapsed "$t_start")"
    echo "gates: $passed passed, $failed failed"
}

# shellcheck disable=SC2329  # called through the trap below
on_signal() {
    stop_groups
    summary
    exit 130
}
trap on_signal INT TERM

for word in "$@"; do
    IFS=+ read -r -a gates <<<"$word"
    echo
    echo "==> gate: ${gates[*]}"
    declare -A started=()
    pids=()
    for gate in "${gates[@]}"; do
        started[$gate]=$(date +%s.%N)
        if [ "${#gates[@]}" -gt 1 ]; then
            # Side by side: each gate's output is prefixed with its name.
            # shellcheck disable=SC2016  # $1 is expanded by the inner bash
            setsid bash -c 'make --no-print-directory "$1" 2>&1 | sed -u "s/^/[$1] /"; exit "${PIPESTATUS[0]}"' _ "$gate" &
        else
            setsid make --no-print-directory "$gate" &
        fi
        pids+=($!)
    done
    running=("${pids[@]}")
    failed_here=0
    for i in "${!gates[@]}"; do
        wait "${pids[$i]}"
        rc=$?
        names+=("${gates[$i]}")
        times+=("$(elapsed "${started[${gates[$i]}]}")")
        if [ "$rc" -eq 0 ]; then
            states+=(ok)
            continue
        fi
        states+=("FAILED (exit $rc)")
        echo "make test: gate '${gates[$i]}' failed" >&2
        [ "$first_rc" -ne 0 ] || first_rc=$rc
        failed_here=1
    done
    stop_groups
    unset started
    if [ "$failed_here" -ne 0 ] && [ "${KEEP_GOING:-0}" != 1 ]; then
        break
    fi
done
summary
exit "$first_rc"
