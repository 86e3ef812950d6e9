"""Plans, operating systems and locations the simulator knows (the doc's examples plus a few more)."""

from __future__ import annotations

# Prices are monthly; creating a server debits one month from the account balance.
PLANS: dict[int, dict] = {
    1: {"id": 1, "name": "Standard VPS", "vcpus": 2, "memory": 4096, "storage": 80, "bandwidth": 2048, "price": 12.00},
    2: {
        "id": 2,
        "name": "Performance VPS",
        "vcpus": 4,
        "memory": 8192,
        "storage": 160,
        "bandwidth": 4096,
        "price": 24.00,
    },
    3: {"id": 3, "name": "Starter VPS", "vcpus": 1, "memory": 2048, "storage": 40, "bandwidth": 1024, "price": 6.00},
}

OPERATING_SYSTEMS: dict[int, dict] = {
    3: {"id": 3, "name": "Debian 12"},
    4: {"id": 4, "name": "Rocky Linux 9"},
    5: {"id": 5, "name": "Ubuntu 22.04 LTS"},
    6: {"id": 6, "name": "Ubuntu 24.04 LTS"},
}

LOCATIONS: tuple[str, ...] = ("us-west", "us-east", "eu-central", "ap-northeast")

STATUSES: tuple[str, ...] = ("provisioning", "active", "stopped", "suspended", "starting", "stopping", "rebooting")
TRANSITIONAL: frozenset[str] = frozenset({"provisioning", "starting", "stopping", "rebooting"})


def plan_summary(plan_id: int) -> dict:
    plan = PLANS[plan_id]
    return {key: plan[key] for key in ("id", "name", "vcpus", "memory", "storage")}


def plan_detail(plan_id: int) -> dict:
    plan = PLANS[plan_id]
    return {key: plan[key] for key in ("id", "name", "vcpus", "memory", "storage", "bandwidth")}
