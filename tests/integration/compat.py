"""What differs between the supported ansible-core versions (2.16-2.22), normalised in one place.

Tests compare the collection's data, not one version's way of printing it: each helper here
turns a version-specific form into one shape, or states the form the running version uses.
The running version is the one the tests drive (harness.BIN is this interpreter's bin/).
"""

from __future__ import annotations

from ansible.release import __version__ as ANSIBLE_CORE_VERSION

UNSAFE_MARKER = "__ansible_unsafe"


def core_version() -> tuple[int, int]:
    """(major, minor) of the ansible-core under test."""
    major, minor = ANSIBLE_CORE_VERSION.split(".")[:2]
    return int(major), int(minor)


# 2.19 reworked templating: untrusted strings are tagged in `ansible-inventory --list`
# output and templated values keep their native type.
DATA_TAGGING = core_version() >= (2, 19)

# 2.21 leaves a task result's `invocation` (the module arguments) out unless asked for; earlier
# versions always add it. Runs that read it ask for it (the setting is unknown to, and ignored by,
# earlier versions).
WITH_INVOCATION = {"ANSIBLE_INJECT_INVOCATION": "1"}

# 2.22 tracks secrets itself and masks each occurrence with one placeholder. Before it, a no_log
# argument's value in the invocation is replaced by a marker naming the reason, and a no_log
# value inside any other result string by asterisks.
SECRET_TRACKING = core_version() >= (2, 22)
NO_LOG_MARKER = "$REDACTED$" if SECRET_TRACKING else "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
VALUE_MASK = "$REDACTED$" if SECRET_TRACKING else "********"
# With that tracking, a module names the no_log values the controller did not give it (an
# environment fallback) in its raw answer, as `_ansible_new_secrets`, so the controller masks them
# in everything it prints afterwards; ANSIBLE_DEBUG=1 prints that raw answer.
NEW_SECRETS_KEY = "_ansible_new_secrets"


def plain(value):
    """A listing value without 2.19's marker for untrusted text, recursively."""
    if isinstance(value, dict):
        if set(value) == {UNSAFE_MARKER}:
            return value[UNSAFE_MARKER]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def listed_untrusted(text: str):
    """How `ansible-inventory --list` prints an untrusted (API-supplied) string on this version.

    2.19 prints the marker; earlier versions print the bare string (the value is still unsafe
    inside Ansible, the JSON output just does not say so).
    """
    return {UNSAFE_MARKER: text} if DATA_TAGGING else text


def templated_int(value) -> int:
    """An integer produced by templating (compose): native before 2.19 only as its text.

    Anything that is neither an int nor the text of one fails, so a wrong value still fails.
    """
    if isinstance(value, bool):
        raise AssertionError(f"expected an integer from templating, got {value!r}")
    if isinstance(value, int):
        return value
    assert not DATA_TAGGING, f"ansible-core {ANSIBLE_CORE_VERSION} templates integers natively, got {value!r}"
    assert isinstance(value, str) and value.strip().lstrip("-").isdigit(), f"not an integer: {value!r}"
    return int(value)


def warnings_of(output: str) -> list:
    """Each `[WARNING]: ...` message of a run as one line.

    Before 2.19 a warning is wrapped at 80 columns when not on a terminal (textwrap: at spaces,
    or after a hyphen); the continuation lines are joined back here.
    """
    found, current = [], None
    for line in output.splitlines():
        if line.startswith("[WARNING]:"):
            current = [line[len("[WARNING]:") :].strip()]
            found.append(current)
        elif current is not None and line and not line[0].isspace() and not line.startswith(("[", "ERROR")):
            current.append(line)
        else:
            current = None
    return [
        "".join(part if not index or parts[index - 1].endswith("-") else " " + part for index, part in enumerate(parts))
        for parts in found
    ]


def plugin_messages(output: str, prefix: str) -> list:
    """The messages a plugin prefixed with `prefix`, wherever this version prints them.

    2.19 prints a plugin's failure on a line of its own; earlier versions put it inside the
    `[WARNING]: * Failed to parse ...` line of the inventory source.
    """
    messages = [line for line in output.splitlines() if line.startswith(prefix)]
    for warning in warnings_of(output):
        at = warning.find(prefix)
        if at >= 0:
            messages.append(warning[at:])
    return messages
