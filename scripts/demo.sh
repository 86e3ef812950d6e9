#!/usr/bin/env bash
# `make demo`: build and install the collection, start the API simulator, provision a small
# fleet with the vpsorg.cloud.servers role, show the dynamic inventory, power-cycle one
# server, tear the fleet down and stop the simulator (also on failure or Ctrl-C).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$REPO/.venv}"
BIN="$VENV/bin"
WORK="$REPO/.demo"
DEMO="$REPO/demo"
PROVISION_DELAY="${DEMO_PROVISION_DELAY:-3}"

for tool in python ansible-galaxy ansible-playbook ansible-inventory; do
    [ -x "$BIN/$tool" ] || { echo "demo: $BIN/$tool not found; run 'make venv' first" >&2; exit 1; }
done
"$BIN/python" -c "import vps_sim" 2>/dev/null || { echo "demo: the simulator (vps_sim) is not installed in $VENV; run 'make venv'" >&2; exit 1; }

export PATH="$BIN:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
export ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-0}"
export ANSIBLE_LOCALHOST_WARNING=0
export ANSIBLE_INVENTORY_UNPARSED_WARNING=0
export ANSIBLE_RETRY_FILES_ENABLED=0
unset VPS_API_URL VPS_API_TOKEN

names=()
seconds=()
t_begin=$(date +%s.%N)
t_step=$t_begin

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

step() {
    if [ "${#names[@]}" -gt 0 ] || [ -n "${current:-}" ]; then
        finish_step
    fi
    current="$1"
    t_step=$(date +%s.%N)
    printf '\n==> %s\n' "$1"
}

finish_step() {
    [ -n "${current:-}" ] || return 0
    names+=("$current")
    seconds+=("$(elapsed "$t_step" "$(date +%s.%N)")")
    current=""
}

sim_pid=""
stop_simulator() {
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill -TERM "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
        echo "demo: simulator stopped"
    fi
    sim_pid=""
}
trap stop_simulator EXIT
trap 'exit 130' INT TERM

# The role's until loop reports each poll as "FAILED - RETRYING"; in the demo that reads
# better as a progress line.
progress() {
    sed -u -E 's/^FAILED - RETRYING: \[[^]]*\]: (Wait until[^(]*)\(([0-9]+) retries left\)\.?/   ... still waiting (\2 polls left before the timeout)/'
}

playbook() {
    ansible-playbook -i localhost, -e "ansible_python_interpreter=$BIN/python" "$@" | progress
}

sim_admin() {
    "$BIN/python" - "$WORK/simulator.json" "$1" <<'PY'
import json, sys, urllib.request
ready = json.load(open(sys.argv[1]))
request = urllib.request.Request(ready["url"] + sys.argv[2], headers={"X-Sim-Admin-Token": ready["admin_token"]})
print(urllib.request.urlopen(request, timeout=10).read().decode())
PY
}

rm -rf "$WORK"
mkdir -p "$WORK/collections"

step "Build the collection and install the built artifact into .demo/collections"
"$BIN/ansible-galaxy" collection build --force --output-path "$WORK" "$REPO" | tail -n 1
"$BIN/ansible-galaxy" collection install --force -p "$WORK/collections" "$WORK"/vpsorg-cloud-*.tar.gz | tail -n 1

step "Start the VPS.org API simulator (provisioning takes ${PROVISION_DELAY} s per server)"
"$BIN/python" -m vps_sim.cli --port 0 --db :memory: --provision-delay "$PROVISION_DELAY" --transition-delay 1 \
    --ready-file "$WORK/simulator.json" > "$WORK/simulator.log" 2>&1 < /dev/null &
sim_pid=$!
for _ in $(seq 1 200); do
    [ -s "$WORK/simulator.json" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { echo "demo: the simulator exited; see $WORK/simulator.log" >&2; exit 1; }
    sleep 0.1
done
[ -s "$WORK/simulator.json" ] || { echo "demo: the simulator did not start; see $WORK/simulator.log" >&2; exit 1; }
VPS_API_URL="$("$BIN/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["api_url"])' "$WORK/simulator.json")"
VPS_API_TOKEN="$("$BIN/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["tokens"][0])' "$WORK/simulator.json")"
export VPS_API_URL VPS_API_TOKEN
echo "simulator listening at $VPS_API_URL (pid $sim_pid, log .demo/simulator.log)"

step "Provision 3 servers: ansible-playbook vpsorg.cloud.provision -e @demo/fleet.yml"
playbook vpsorg.cloud.provision -e "@$DEMO/fleet.yml"

step "Show the dynamic inventory: ansible-inventory -i demo/vps.yml --graph"
ansible-inventory -i "$DEMO/vps.yml" --graph

step "Power-cycle demo-web-01: vpsorg.cloud.power stopped, then started"
playbook vpsorg.cloud.power -e vps_power_state=stopped -e '{"vps_power_names": ["demo-web-01"]}' \
    -e vps_servers_poll_interval=1
ansible-inventory -i "$DEMO/vps.yml" --graph status_stopped
playbook vpsorg.cloud.power -e vps_power_state=started -e '{"vps_power_names": ["demo-web-01"]}' \
    -e vps_servers_poll_interval=1

step "Tear the fleet down: ansible-playbook vpsorg.cloud.teardown -e @demo/fleet.yml"
playbook vpsorg.cloud.teardown -e "@$DEMO/fleet.yml"
finish_step

left="$(sim_admin /_sim/servers | "$BIN/python" -c 'import json, sys; print(len(json.load(sys.stdin)))')"
counters="$(sim_admin /_sim/counters)"
stop_simulator

summary() {
    "$BIN/python" -c '
import json, sys
counters = json.loads(sys.argv[1])
print("API requests: {} in total, {} of them changing something".format(counters["total"], counters["mutating"]))
for endpoint, count in sorted(counters["by_endpoint"].items()):
    if endpoint.startswith(("GET /api/", "POST /api/", "PATCH /api/", "PUT /api/", "DELETE /api/")):
        print("  {:>4}  {}".format(count, endpoint))
' "$1"
}

echo
echo "==> Summary"
echo "servers provisioned: 3, power-cycled: 1, torn down: 3, left in the account: $left"
summary "$counters"
for i in "${!names[@]}"; do
    printf '  %6ss  %s\n' "${seconds[$i]}" "${names[$i]}"
done
printf '  %6ss  total\n' "$(elapsed "$t_begin" "$(date +%s.%N)")"
[ "$left" = 0 ] || { echo "demo: $left server(s) were left behind" >&2; exit 1; }
