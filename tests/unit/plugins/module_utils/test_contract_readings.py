"""Where the server object shows the fields fixed at creation (contract.IMMUTABLE_FIELDS)."""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract


def test_plan_and_os_are_read_from_the_nested_objects():
    server = {"plan": {"id": 2, "name": "Performance VPS"}, "os": {"id": 6}, "location": "us-east"}
    read = {field: reader(server) for field, reader in contract.IMMUTABLE_FIELDS.items()}
    assert read == {"plan_id": 2, "os_id": 6, "location": "us-east", "ssh_key_id": None}


def test_missing_or_null_nested_objects_read_as_unknown():
    for server in ({}, {"plan": None, "os": None}):
        assert contract.IMMUTABLE_FIELDS["plan_id"](server) is None
        assert contract.IMMUTABLE_FIELDS["os_id"](server) is None


def test_a_nested_id_reader_made_at_run_time_reads_the_named_object():
    # IMMUTABLE_FIELDS is built at import; a reader made here runs the code under test.
    read_plan = contract._nested_id("plan")
    assert read_plan({"plan": {"id": 2, "ID": 3}, "os": {"id": 6}}) == 2
    assert read_plan({"plan": None, "os": {"id": 6}}) is None
    assert read_plan({"os": {"id": 6}}) is None
