"""Server status as a function of time: the stored state plus a pending transition resolve lazily on read."""

from __future__ import annotations

# A transition is stored as (status, target_status, transition_until); once the clock passes
# transition_until the server *is* in target_status. No background worker is needed, and the
# same rule is expressed in SQL so list filters see exactly what a detail GET would show.
EFFECTIVE_STATUS_SQL = (
    "CASE WHEN transition_until IS NOT NULL AND transition_until <= :now THEN target_status ELSE status END"
)

ACTION_TRANSITIONS = {
    "start": ("stopped", "starting", "active"),
    "stop": ("active", "stopping", "stopped"),
    "reboot": ("active", "rebooting", "active"),
}

ACTION_MESSAGES = {"start": "Server is starting", "stop": "Server is stopping", "reboot": "Server is rebooting"}


def arrival(status: str, now: float, provision_delay: float, transition_delay: float) -> dict:
    """The stored state of a server that comes into being in ``status`` at ``now``, its pending transition included.

    ``provisioning`` is what the API's create gives; the others are for servers the control plane puts in place.
    """
    target, until = None, None
    if status == "provisioning":
        target, until = "active", now + provision_delay
    elif status in ("starting", "stopping", "rebooting"):
        target, until = ("stopped" if status == "stopping" else "active"), now + transition_delay
    suspended_from = "active" if status == "suspended" else None
    return {"status": status, "target_status": target, "transition_until": until, "suspended_from": suspended_from}


def ipv4_for(server_id: int) -> str:
    return f"203.0.113.{(server_id - 1) % 254 + 1}"


def ipv6_for(server_id: int) -> str:
    return f"2001:db8::{server_id:x}"


def resolve(row: dict, now: float) -> dict:
    """Return the server as it is at ``now``: a finished transition is applied, addresses appear on activation."""
    server = dict(row)
    until = server.get("transition_until")
    if until is not None and until <= now:
        server["status"] = server["target_status"]
        server["target_status"] = None
        server["transition_until"] = None
        server["updated_at"] = max(server["updated_at"], until)
    # Addresses are assigned when a server first leaves provisioning and are kept from then on.
    if server["status"] != "provisioning" and server.get("ip_address") is None:
        server["ip_address"] = ipv4_for(server["id"])
        server["ipv6_address"] = ipv6_for(server["id"])
    return server


def refuse_action(action: str, status: str) -> str | None:
    """The 400 detail for a power action in the wrong state, or None when the action may proceed."""
    if status == "suspended":
        return "Server is suspended."
    if status == "provisioning":
        return "Server is still being provisioned."
    if status in ("starting", "stopping", "rebooting"):
        return f"Server is busy ({status}); try again when it has settled."
    allowed_from = ACTION_TRANSITIONS[action][0]
    if status == allowed_from:
        return None
    if action == "start":
        return "Server is already running."
    return "Server is not running."
