"""Request-body validation with Django REST Framework's wording (``{"field": ["message"]}``)."""

from __future__ import annotations

import re

from . import catalog

NAME_RE = re.compile(r"^[A-Za-z0-9-]+$")
HOSTNAME_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
NAME_MAX = 63
HOSTNAME_MAX = 253
SSH_KEY_ID_MAX = 2**31 - 1  # a Django IntegerField

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
UPDATABLE = ("name", "hostname", "backups_enabled")
FIXED_AFTER_CREATE = ("plan_id", "os_id", "location", "ssh_key_id", "plan", "os")
READ_ONLY = ("id", "status", "ip_address", "ipv6_address", "created_at", "updated_at", "resource_usage")

JSON_TYPE_NAMES = {dict: "dict", list: "list", str: "str", int: "int", float: "float", bool: "bool"}


class Invalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def type_name(value) -> str:
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def body_errors(data) -> dict | None:
    """DRF's answer when the parsed body is not a JSON object."""
    if data is None:
        return {"non_field_errors": ["No data provided"]}
    if not isinstance(data, dict):
        return {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type_name(data)}."]}
    return None


def _string(value, max_length: int) -> str:
    if not isinstance(value, str):
        raise Invalid("Not a valid string.")
    if not value.strip():
        raise Invalid(NOT_BLANK)
    if len(value) > max_length:
        raise Invalid(f"Ensure this field has no more than {max_length} characters.")
    return value


def name(value) -> str:
    value = _string(value, NAME_MAX)
    if not NAME_RE.fullmatch(value):
        raise Invalid("Enter a valid name consisting of letters, digits and hyphens.")
    return value


def hostname(value) -> str:
    value = _string(value, HOSTNAME_MAX)
    labels = value[:-1].split(".") if value.endswith(".") else value.split(".")
    if not all(HOSTNAME_LABEL_RE.fullmatch(label) for label in labels):
        raise Invalid("Enter a valid hostname (FQDN).")
    return value


def boolean(value) -> bool:
    if not isinstance(value, bool):
        raise Invalid("Must be a valid boolean.")
    return value


def _primary_key(value, known: dict) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"Incorrect type. Expected pk value, received {type_name(value)}.")
    if value not in known:
        raise Invalid(f'Invalid pk "{value}" - object does not exist.')
    return value


def plan_id(value) -> int:
    return _primary_key(value, catalog.PLANS)


def os_id(value) -> int:
    return _primary_key(value, catalog.OPERATING_SYSTEMS)


def location(value) -> str:
    if not isinstance(value, str) or value not in catalog.LOCATIONS:
        raise Invalid(f'"{value}" is not a valid choice.')
    return value


def ssh_key_id(value) -> int | None:
    # The contract has no SSH-key catalogue, so any positive integer is accepted as a key id.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("A valid integer is required.")
    if value < 1:
        raise Invalid("Ensure this value is greater than or equal to 1.")
    if value > SSH_KEY_ID_MAX:
        raise Invalid(f"Ensure this value is less than or equal to {SSH_KEY_ID_MAX}.")
    return value


CREATE_FIELDS = {
    "name": (name, True),
    "plan_id": (plan_id, True),
    "os_id": (os_id, True),
    "location": (location, True),
    "hostname": (hostname, False),
    "ssh_key_id": (ssh_key_id, False),
    "backups_enabled": (boolean, False),
}

UPDATE_FIELDS = {"name": name, "hostname": hostname, "backups_enabled": boolean}


def _check(data: dict, key: str, check, errors: dict, out: dict, nullable: bool = False) -> None:
    value = data[key]
    if value is None and not nullable:
        errors[key] = [NOT_NULL]
        return
    try:
        out[key] = check(value)
    except Invalid as exc:
        errors[key] = [exc.message]


def validate_create(data) -> tuple[dict, dict]:
    """Return (fields, errors); unknown keys are ignored, as DRF serializers do."""
    top = body_errors(data)
    if top:
        return {}, top
    fields: dict = {}
    errors: dict = {}
    for key, (check, required) in CREATE_FIELDS.items():
        if key not in data:
            if required:
                errors[key] = [REQUIRED]
            continue
        _check(data, key, check, errors, fields, nullable=key == "ssh_key_id")
    fields.setdefault("hostname", fields.get("name"))
    fields.setdefault("backups_enabled", False)
    return fields, errors


def validate_update(data, *, partial: bool) -> tuple[dict, dict]:
    top = body_errors(data)
    if top:
        return {}, top
    changes: dict = {}
    errors: dict = {}
    for key in FIXED_AFTER_CREATE:
        if key in data:
            errors[key] = ["This field cannot be changed after the server is created."]
    for key in READ_ONLY:
        if key in data:
            errors[key] = ["This field is read-only."]
    for key, check in UPDATE_FIELDS.items():
        if key not in data:
            if not partial:
                errors[key] = [REQUIRED]
            continue
        _check(data, key, check, errors, changes)
    return changes, errors
