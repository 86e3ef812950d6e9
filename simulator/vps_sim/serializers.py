"""JSON shapes of the public API: list summary, detail, create and power-action answers."""

from __future__ import annotations

import time
from functools import lru_cache

from . import catalog

CREATED_MESSAGE = "Server is being provisioned. This may take 2-5 minutes."


@lru_cache(maxsize=65536)
def _second(epoch_second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_second))


def timestamp(epoch: float) -> str:
    # Whole seconds, as DRF renders them when microseconds are dropped; cached because a page of
    # seeded servers shares a handful of distinct seconds.
    return _second(int(epoch))


def summary(server: dict) -> dict:
    return {
        "id": server["id"],
        "name": server["name"],
        "hostname": server["hostname"],
        "status": server["status"],
        "ip_address": server["ip_address"],
        "location": server["location"],
        "plan": catalog.plan_summary(server["plan_id"]),
        "os": dict(catalog.OPERATING_SYSTEMS[server["os_id"]]),
        "created_at": timestamp(server["created_at"]),
        "updated_at": timestamp(server["updated_at"]),
    }


def resource_usage(server: dict) -> dict:
    # Stable pseudo-usage derived from the id: plausible numbers without a clock-driven generator.
    if server["status"] not in ("active", "rebooting", "stopping"):
        return {"cpu_percent": 0.0, "memory_used": 0, "disk_used": 0, "bandwidth_used": 0}
    plan = catalog.PLANS[server["plan_id"]]
    seed = server["id"]
    return {
        "cpu_percent": round((seed * 37 % 900) / 10, 1),
        "memory_used": plan["memory"] * (seed * 13 % 60 + 10) // 100,
        "disk_used": plan["storage"] * (seed * 7 % 50 + 5) // 100,
        "bandwidth_used": plan["bandwidth"] * (seed * 11 % 30) // 100,
    }


def detail(server: dict) -> dict:
    body = summary(server)
    body["ipv6_address"] = server["ipv6_address"]
    body["plan"] = catalog.plan_detail(server["plan_id"])
    body["backups_enabled"] = bool(server["backups_enabled"])
    body["resource_usage"] = resource_usage(server)
    return body


def created(server: dict) -> dict:
    return {**detail(server), "message": CREATED_MESSAGE}


def action(server: dict, message: str) -> dict:
    return {
        "status": "success",
        "message": message,
        "server": {"id": server["id"], "name": server["name"], "status": server["status"]},
    }
