"""50 concurrent clients creating and updating: no lost update, no 5xx."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

CLIENTS = 50


def test_concurrent_creates_and_updates_lose_nothing(clean):
    clean.set_balance(clean.token, 100_000)
    clean.set_balance("second-account-token", 100_000)
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def client(index: int) -> tuple[int, str]:
        token = clean.tokens[index % 2]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        barrier.wait()
        body = {"name": f"c-{index}", "plan_id": 1, "os_id": 5, "location": "us-west"}
        created = session.post(f"{clean.api_url}/servers/", json=body, timeout=30)
        seen = [created.status_code]
        server_id = created.json()["id"]
        final = f"c-{index}-v5"
        for version in range(1, 6):
            response = session.patch(
                f"{clean.api_url}/servers/{server_id}/", json={"name": f"c-{index}-v{version}"}, timeout=30
            )
            seen.append(response.status_code)
        with lock:
            statuses.extend(seen)
        return server_id, final

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))

    assert len(statuses) == CLIENTS * 6
    assert all(status < 500 for status in statuses)
    assert statuses.count(201) == CLIENTS and statuses.count(200) == CLIENTS * 5
    names = {s["id"]: s["name"] for s in clean.servers()}
    assert len(names) == CLIENTS
    assert {server_id: names[server_id] for server_id, _name in results} == dict(results)
    balances = sorted(account["balance"] for account in clean.accounts())
    assert balances == [100_000 - 25 * 12, 100_000 - 25 * 12]


def test_concurrent_updates_to_one_server_all_apply(clean):
    server = requests.post(
        f"{clean.api_url}/servers/",
        json={"name": "shared", "plan_id": 1, "os_id": 5, "location": "us-west"},
        headers={"Authorization": f"Bearer {clean.token}"},
        timeout=10,
    ).json()

    def toggle(index: int) -> int:
        return requests.patch(
            f"{clean.api_url}/servers/{server['id']}/",
            json={"hostname": f"h{index}.example.com"},
            headers={"Authorization": f"Bearer {clean.token}"},
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        codes = list(pool.map(toggle, range(CLIENTS)))
    assert codes == [200] * CLIENTS
    patches = [e for e in clean.requests() if e["method"] == "PATCH"]
    assert len(patches) == CLIENTS
    # the stored hostname is the one sent by the request the server processed last
    last = patches[-1]["body"]["hostname"]
    assert next(s for s in clean.servers() if s["id"] == server["id"])["hostname"] == last
