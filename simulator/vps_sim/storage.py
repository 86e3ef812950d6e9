"""SQLite persistence for accounts and servers; one connection guarded by a lock, one transaction per write."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator

from . import lifecycle

FIRST_SERVER_ID = 10001

# The orders a server list can be served in (``PUT /_sim/modes {"ordering": ...}``); ties go by id.
ORDERINGS = {"id": "id", "-id": "id DESC", "name": "name, id", "-name": "name DESC, id"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL UNIQUE,
    token TEXT NOT NULL UNIQUE,
    balance REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS servers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    hostname TEXT NOT NULL,
    status TEXT NOT NULL,
    target_status TEXT,
    transition_until REAL,
    suspended_from TEXT,
    plan_id INTEGER NOT NULL,
    os_id INTEGER NOT NULL,
    location TEXT NOT NULL,
    ssh_key_id INTEGER,
    backups_enabled INTEGER NOT NULL DEFAULT 0,
    ip_address TEXT,
    ipv6_address TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS servers_account ON servers(account_id, id);
"""

SERVER_COLUMNS = (
    "id, account_id, name, hostname, status, target_status, transition_until, suspended_from, plan_id, os_id, "
    "location, ssh_key_id, backups_enabled, ip_address, ipv6_address, created_at, updated_at"
)


def _dict_row(cursor: sqlite3.Cursor, row: tuple) -> dict:
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


class InsufficientBalance(Exception):
    def __init__(self, balance: float):
        super().__init__(balance)
        self.balance = balance


class Storage:
    def __init__(self, path: str):
        # Threads may call in (the helper's tests, uvicorn's threadpool); the lock serialises every use.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = _dict_row
        self._lock = threading.RLock()
        self.lock = self._lock  # held by callers around read-modify-write sequences
        self._accounts: dict[str, dict | None] = {}
        with self._lock:
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
            self._ensure_id_start()

    def _scalar(self, sql: str, params=()):
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else next(iter(row.values()))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction under the lock: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _ensure_id_start(self) -> None:
        # Server ids start high so that a client confusing a server id with a plan or OS id gets a 404.
        row = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'servers'").fetchone()
        if row is None:
            self._conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('servers', ?)", (FIRST_SERVER_ID - 1,))

    # -- accounts -------------------------------------------------------------------------------
    def ensure_account(self, token: str, balance: float, *, overwrite_balance: bool) -> dict:
        with self._lock:
            self._accounts.pop(token, None)
            row = self._conn.execute("SELECT * FROM accounts WHERE token = ?", (token,)).fetchone()
            if row is None:
                with self._transaction():
                    next_id = self._scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM accounts")
                    self._conn.execute(
                        "INSERT INTO accounts (id, label, token, balance) VALUES (?, ?, ?, ?)",
                        (next_id, f"account-{next_id}", token, balance),
                    )
            elif overwrite_balance:
                self._conn.execute("UPDATE accounts SET balance = ? WHERE token = ?", (balance, token))
            return dict(self._conn.execute("SELECT * FROM accounts WHERE token = ?", (token,)).fetchone())

    def account_by_token(self, token: str) -> dict | None:
        """The account (id, label, token) for ``token``; cached, since every API request asks."""
        with self._lock:
            if token not in self._accounts:
                self._accounts[token] = self._conn.execute(
                    "SELECT id, label, token FROM accounts WHERE token = ?", (token,)
                ).fetchone()
            return self._accounts[token]

    def accounts(self) -> list[dict]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT a.id, a.label, a.token, a.balance, COUNT(s.id) AS servers FROM accounts a "
                "LEFT JOIN servers s ON s.account_id = a.id GROUP BY a.id ORDER BY a.id"
            ).fetchall()
        return rows

    def reset(self, tokens: Iterable[str], balance: float) -> None:
        with self._transaction():
            self._accounts.clear()
            self._conn.execute("DELETE FROM servers")
            self._conn.execute("DELETE FROM accounts")
            self._conn.execute("DELETE FROM sqlite_sequence")
            self._ensure_id_start()
            for index, token in enumerate(tokens, start=1):
                self._conn.execute(
                    "INSERT INTO accounts (id, label, token, balance) VALUES (?, ?, ?, ?)",
                    (index, f"account-{index}", token, balance),
                )

    # -- servers --------------------------------------------------------------------------------
    def create_server(self, account_id: int, fields: dict, price: float, now: float, arrival: dict) -> dict:
        """Debit ``price`` and insert the server in the stored state ``arrival`` (lifecycle.arrival)."""
        with self._transaction():
            balance = self._scalar("SELECT balance FROM accounts WHERE id = ?", (account_id,))
            if balance + 1e-9 < price:
                raise InsufficientBalance(balance)
            self._conn.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (price, account_id))
            cursor = self._conn.execute(
                "INSERT INTO servers (account_id, name, hostname, status, target_status, transition_until, "
                "suspended_from, plan_id, os_id, location, ssh_key_id, backups_enabled, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account_id,
                    fields["name"],
                    fields["hostname"],
                    arrival["status"],
                    arrival["target_status"],
                    arrival["transition_until"],
                    arrival["suspended_from"],
                    fields["plan_id"],
                    fields["os_id"],
                    fields["location"],
                    fields.get("ssh_key_id"),
                    int(bool(fields.get("backups_enabled", False))),
                    now,
                    now,
                ),
            )
            return self._get(cursor.lastrowid, None)

    def _get(self, server_id: int, account_id: int | None) -> dict | None:
        sql = f"SELECT {SERVER_COLUMNS} FROM servers WHERE id = ?"
        params: tuple = (server_id,)
        if account_id is not None:
            sql += " AND account_id = ?"
            params += (account_id,)
        row = self._conn.execute(sql, params).fetchone()
        return row

    def get_server(self, server_id: int, account_id: int | None) -> dict | None:
        with self._lock:
            return self._get(server_id, account_id)

    def list_servers(
        self,
        account_id: int,
        now: float,
        *,
        status: str | None,
        location: str | None,
        pick_page,
        ordering: str = "id",
    ) -> tuple[int, list[dict]]:
        """Count the matches, let ``pick_page(count)`` choose (offset, limit) or raise, then fetch that page.

        The rows are in ``ordering`` (a key of ORDERINGS).
        """
        where = ["account_id = :account"]
        params: dict = {"account": account_id, "now": now}
        if status is not None:
            where.append(f"({lifecycle.EFFECTIVE_STATUS_SQL}) = :status")
            params["status"] = status
        if location is not None:
            where.append("location = :location")
            params["location"] = location
        clause = " AND ".join(where)
        order = ORDERINGS[ordering]
        with self._lock:
            count = self._scalar(f"SELECT COUNT(*) FROM servers WHERE {clause}", params)
            params["offset"], params["limit"] = pick_page(count)
            rows = self._conn.execute(
                f"SELECT {SERVER_COLUMNS} FROM servers WHERE {clause} ORDER BY {order} LIMIT :limit OFFSET :offset",
                params,
            ).fetchall()
        return count, rows

    def all_servers(self) -> list[dict]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {', '.join('s.' + c.strip() for c in SERVER_COLUMNS.split(','))}, a.label AS account "
                "FROM servers s JOIN accounts a ON a.id = s.account_id ORDER BY s.id"
            ).fetchall()
        return rows

    def save_server(self, server: dict, changes: dict) -> dict:
        """Write ``changes`` over the (already resolved) ``server`` state in one statement."""
        state = {
            key: server[key]
            for key in ("status", "target_status", "transition_until", "suspended_from", "ip_address", "ipv6_address")
        }
        state.update(changes)
        assignments = ", ".join(f"{key} = :{key}" for key in state)
        with self._lock:
            self._conn.execute(f"UPDATE servers SET {assignments} WHERE id = :id", {**state, "id": server["id"]})
            return self._get(server["id"], None)

    def delete_server(self, server_id: int, account_id: int) -> bool:
        with self._lock:
            cursor = self._conn.execute("DELETE FROM servers WHERE id = ? AND account_id = ?", (server_id, account_id))
        return cursor.rowcount == 1

    def seed(self, account_id: int, rows: list[tuple]) -> tuple[int, int]:
        """Insert many servers in one transaction; returns the first and last new id."""
        with self._transaction():
            before = self._scalar("SELECT seq FROM sqlite_sequence WHERE name = 'servers'")
            self._conn.executemany(
                "INSERT INTO servers (account_id, name, hostname, status, target_status, transition_until, "
                "suspended_from, plan_id, os_id, location, backups_enabled, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(account_id, *row) for row in rows],
            )
            after = self._scalar("SELECT seq FROM sqlite_sequence WHERE name = 'servers'")
        return before + 1, after
