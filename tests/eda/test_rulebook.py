"""vpsorg.cloud.vps_server_events under the real ansible-rulebook, against the simulator.

Every server change must arrive as exactly one event within two polling intervals, API
outages in between must cause no event at all, and the token must appear nowhere in the
output (the runs are made at -vv, where ansible-rulebook logs at debug level).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

from harness import api_call, create_server, secrets_of, wait_status
from rulebook import PROVISION_DELAY, TRANSITION_DELAY, RulebookRun, print_events_rulebook

INTERVAL = 1.5
# Starting the JVM of ansible-rulebook takes several seconds on a busy machine.
STARTUP = 120
LIST_PATH = "^/api/v1/servers/$"


def assert_no_secret(run, sim):
    leaked = [secret for secret in secrets_of(sim, run.env) if secret in run.output]
    assert not leaked, "the API token appeared in the output of ansible-rulebook"


def summary(event):
    if event["type"] == "status_changed":
        return ("status_changed", event["old_status"], event["new_status"])
    if event["type"] == "updated":
        return ("updated", tuple(sorted(event["changes"])))
    return (event["type"], event["server"]["status"])


class Timeline:
    """Waits for each expected event and records how long after the change it was printed."""

    def __init__(self, run, server_id):
        self.run = run
        self.server_id = server_id
        self.latencies = []

    def expect(self, label, changed_at, kind, measure=True):
        def arrived(run):
            seen = [(at, event) for at, event in run.events() if event["server"]["id"] == self.server_id]
            return [(at, event) for at, event in seen if summary(event)[: len(kind)] == kind]

        at, event = self.run.wait_for(f"{label} event", arrived, 60)[0]
        latency = at - changed_at
        if measure:
            assert latency <= 2 * INTERVAL, f"{label}: event printed {latency:.2f} s after the change"
            self.latencies.append((label, round(latency, 3)))
        return event


def test_lifecycle_arrives_as_one_event_per_change_through_api_outages(tmp_path, clean_sim):
    sim = clean_sim
    existing = create_server(sim, "eda-existing")
    wait_status(sim, existing["id"], "active")
    rulebook = print_events_rulebook(
        tmp_path / "print.yml",
        f"        interval: {INTERVAL}\n        api_retries: 1\n        api_timeout: 5\n",
    )
    run = RulebookRun(tmp_path, sim, rulebook)
    try:
        run.wait_for("first poll", lambda r: r.polls(), STARTUP)

        before = time.monotonic()
        server = create_server(sim, "eda-web")
        timeline = Timeline(run, server["id"])
        event = timeline.expect("created", time.monotonic(), ("created", "provisioning"))
        assert event["previous"] is None and event["initial"] is False
        event = timeline.expect("became active", before + PROVISION_DELAY, ("status_changed", "provisioning", "active"))
        assert event["server"]["ip_address"] and event["changes"]["ip_address"]["before"] is None

        # One 503 is absorbed by the client's retry; four make two polls fail (api_retries: 1).
        sim.add_fault(kind="status", status=503, count=1, method="GET", path=LIST_PATH)
        run.wait_for("absorbed 503", lambda r: sim.faults()[0]["fired"] == 1, 30)
        sim.clear_faults()
        sim.add_fault(kind="status", status=503, count=4, method="GET", path=LIST_PATH)
        status, _body = api_call(sim, "PATCH", f"/servers/{server['id']}/", {"hostname": "web.example.com"})
        assert status == 200
        run.wait_for("recovery message", lambda r: "answers again after 2 failed poll(s)" in r.output, 60)
        assert run.output.count("could not be listed") == 2
        event = timeline.expect("updated", 0, ("updated",), measure=False)
        assert event["changes"]["hostname"] == {"before": "eda-web", "after": "web.example.com"}

        before = time.monotonic()
        assert api_call(sim, "POST", f"/servers/{server['id']}/stop/")[0] == 200
        timeline.expect("stopping", time.monotonic(), ("status_changed", "active", "stopping"))
        timeline.expect("stopped", before + TRANSITION_DELAY, ("status_changed", "stopping", "stopped"))

        assert api_call(sim, "DELETE", f"/servers/{server['id']}/")[0] == 204
        event = timeline.expect("deleted", time.monotonic(), ("deleted",))
        assert event["server"] == event["previous"] and event["server"]["status"] == "stopped"
        time.sleep(2 * INTERVAL)
    finally:
        run.stop()

    assert [summary(event) for _at, event in run.events()] == [
        ("created", "provisioning"),
        ("status_changed", "provisioning", "active"),
        ("updated", ("hostname", "updated_at")),
        ("status_changed", "active", "stopping"),
        ("status_changed", "stopping", "stopped"),
        ("deleted", "stopped"),
    ], "expected exactly one event per change, and none for the server that existed at start"
    assert_no_secret(run, sim)
    polls = run.polls()
    # One list request per poll; two in the poll whose 503 the client retried and in the one
    # that confirmed the disappearance with a second listing.
    assert {requests for _servers, requests, _events, _seconds in polls} <= {1, 2}
    assert [requests for _servers, requests, _events, _seconds in polls].count(2) == 2
    report(timeline.latencies, polls)


def report(latencies, polls):
    """Print the measurements (and write them where VPS_EDA_REPORT says) for docs/events.md."""
    values = [latency for _label, latency in latencies]
    measured = {
        "interval": INTERVAL,
        "latencies": latencies,
        "latency_mean": round(statistics.mean(values), 3),
        "latency_max": max(values),
        "polls": len(polls),
        "requests": sum(requests for _servers, requests, _events, _seconds in polls),
    }
    print(json.dumps(measured))
    if os.environ.get("VPS_EDA_REPORT"):
        Path(os.environ["VPS_EDA_REPORT"]).write_text(json.dumps(measured, indent=2) + "\n")


CONFIGURE_PLAYBOOK = """---
- name: Record the server the rulebook configures
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Record it
      ansible.builtin.lineinfile:
        path: {record}
        line: "{{{{ ansible_eda.event.server.id }}}} {{{{ ansible_eda.event.server.status }}}}"
        create: true
        mode: "0644"
"""


def test_example_rulebook_configures_each_new_server_once(tmp_path, clean_sim):
    sim = clean_sim
    sim.set_timings(provision_delay=2.5, transition_delay=0.5)
    existing = create_server(sim, "eda-old")
    wait_status(sim, existing["id"], "active")
    record = tmp_path / "configured.txt"
    (tmp_path / "configure_server.yml").write_text(CONFIGURE_PLAYBOOK.format(record=record))
    (tmp_path / "vars.yml").write_text("vps_events_interval: 1\n")
    run = RulebookRun(
        tmp_path, sim, "vpsorg.cloud.configure_new_servers", args=["--vars", str(tmp_path / "vars.yml")], verbosity=1
    )
    try:
        run.wait_for("first poll", lambda r: any(" eda" in entry["user_agent"] for entry in sim.requests()), STARTUP)
        first = create_server(sim, "eda-new-1")
        second = create_server(sim, "eda-new-2")
        run.wait_for("two configured servers", lambda r: record.exists() and len(record.read_text().split()) >= 4, 90)
        # A restart of a configured server is not a new server.
        wait_status(sim, first["id"], "active")
        assert api_call(sim, "POST", f"/servers/{first['id']}/reboot/")[0] == 200
        wait_status(sim, first["id"], "active")
        time.sleep(3)
    finally:
        run.stop()
    assert sorted(record.read_text().splitlines()) == sorted([f"{first['id']} active", f"{second['id']} active"])
    assert_no_secret(run, sim)


def test_bad_arguments_stop_the_rulebook_before_any_request(tmp_path, clean_sim):
    sim = clean_sim
    rulebook = print_events_rulebook(
        tmp_path / "bad.yml", "        interval: 0\n        filters:\n          status: actve\n"
    )
    run = RulebookRun(tmp_path, sim, rulebook, verbosity=0)
    rc = run.wait_exit(STARTUP)
    assert rc != 0
    assert "interval must be a positive number of seconds" in run.output
    assert "filters.status must be one of" in run.output
    assert sim.requests() == []
    assert_no_secret(run, sim)


def test_a_source_with_feedback_runs_under_event_persistence(tmp_path, clean_sim):
    # ansible-rulebook 1.3 run with --persistence-id gives a source that sets `feedback: true` a
    # feedback queue: the source then receives `feedback` and `eda_feedback_queue` beside the
    # user's arguments, and must run rather than refuse them as unknown.
    sim = clean_sim
    rulebook = print_events_rulebook(
        tmp_path / "feedback.yml", f"        interval: {INTERVAL}\n        feedback: true\n"
    )
    run = RulebookRun(tmp_path, sim, rulebook, args=["--persistence-id", "1"])
    try:
        run.wait_for("first poll", lambda r: r.polls(), STARTUP)
        server = create_server(sim, "eda-feedback")
        run.wait_for(
            "created event", lambda r: [event for _at, event in r.events() if event["server"]["id"] == server["id"]], 60
        )
    finally:
        run.stop()
    assert "unknown argument" not in run.output
    assert_no_secret(run, sim)
