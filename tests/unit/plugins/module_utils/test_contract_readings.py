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
