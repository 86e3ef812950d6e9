"""Fault rules for the public API: error statuses, latency, dropped or failed answers after commit, hangs, and
servers that a person creates in the account just before or after a request (``insert``)."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

from . import catalog, validation
from .numbers import number

KINDS = ("status", "latency", "drop_after_commit", "error_after_commit", "timeout", "insert")
STATUSES = (429, 500, 502, 503, 504)
# What a gateway may answer after the API behind it committed the request (the client cannot tell).
AFTER_COMMIT_STATUSES = (500, 502, 503, 504)
# Kinds that decide a request's fate (the others only delay it or act beside it).
ERROR_KINDS = ("status", "drop_after_commit", "error_after_commit", "timeout")
RULE_KEYS = {
    "kind",
    "status",
    "retry_after",
    "rate",
    "count",
    "method",
    "path",
    "seconds",
    "seed",
    "server",
    "when",
    "account",
}
# What the person's server gets unless the insert rule says otherwise (``status`` as a create leaves it).
PERSON_SERVER = {"name": "manual", "plan_id": 1, "os_id": 5, "location": "us-west", "status": "provisioning"}
WHEN = ("before", "after")


class RuleError(Exception):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Rule:
    id: int
    kind: str
    method: str | None = None
    path: str | None = None
    rate: float | None = None
    count: int | None = None
    status: int | None = None
    retry_after: int | None = None
    seconds: float | None = None
    seed: int | None = None
    server: dict | None = None
    when: str | None = None
    # The account label (``account-2``, as GET /_sim/accounts shows it): the rule fires for its requests only.
    account: str | None = None
    fired: int = 0
    # Ids of the servers an insert rule created (a person's create the balance cannot pay is not there).
    created: list[int] | None = None
    _pattern: re.Pattern | None = field(default=None, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def applies_to(self, method: str, path: str, account: str | None = None) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.account is not None and self.account != account:
            return False
        return self._pattern is None or self._pattern.search(path) is not None

    def roll(self) -> bool:
        """Decide whether the rule fires for one matching request (consumes the rule's own RNG)."""
        if self.count is not None:
            return self.fired < self.count
        if self.rate is not None:
            return self._rng.random() < self.rate
        return True

    def public(self) -> dict:
        body = {key: value for key, value in self.__dict__.items() if not key.startswith("_")}
        if self.count is not None:
            body["remaining"] = max(self.count - self.fired, 0)
        return body


def parse_rule(data, rule_id: int) -> Rule:
    if not isinstance(data, dict):
        raise RuleError({"non_field_errors": ["Expected a JSON object describing one fault rule."]})
    errors: dict = {}
    unknown = sorted(set(data) - RULE_KEYS)
    if unknown:
        errors["non_field_errors"] = [f"Unknown keys: {', '.join(unknown)}."]
    kind = data.get("kind")
    if kind not in KINDS:
        errors["kind"] = [f"Must be one of: {', '.join(KINDS)}."]
    rule = Rule(id=rule_id, kind=kind if kind in KINDS else "status")
    if "rate" in data and "count" in data:
        errors["rate"] = ["Give either rate or count, not both."]
    if "rate" in data:
        rule.rate = number(data, "rate", errors, maximum=1)
    if "count" in data:
        rule.count = number(data, "count", errors, minimum=1, integer=True)
    if data.get("method") is not None:
        if not isinstance(data["method"], str):
            errors["method"] = ["Not a valid string."]
        else:
            rule.method = data["method"].upper()
    if data.get("account") is not None:
        if not isinstance(data["account"], str) or not data["account"]:
            errors["account"] = ["Not a valid string (an account label such as account-2)."]
        else:
            rule.account = data["account"]
    if data.get("path") is not None:
        try:
            rule._pattern = re.compile(data["path"])
            rule.path = data["path"]
        except (re.error, TypeError) as exc:
            errors["path"] = [f"Not a valid regular expression: {exc}"]
    if kind in ("status", "error_after_commit"):
        allowed = STATUSES if kind == "status" else AFTER_COMMIT_STATUSES
        if data.get("status") not in allowed:
            errors["status"] = [f"Must be one of: {', '.join(map(str, allowed))}."]
        rule.status = data.get("status")
        if data.get("retry_after") is not None:
            rule.retry_after = number(data, "retry_after", errors, integer=True)
        elif rule.status in (429, 503):
            rule.retry_after = 1
    elif kind in ("latency", "timeout"):
        default = 0.5 if kind == "latency" else 30.0
        rule.seconds = number(data, "seconds", errors, default=default, maximum=3600)
    if kind == "insert":
        rule.server, rule.created = _person_server(data.get("server", {}), errors), []
        rule.when = data.get("when", "before")
        if rule.when not in WHEN:
            errors["when"] = [f"Must be one of: {', '.join(WHEN)}."]
    elif {"server", "when"} & set(data):
        errors["non_field_errors"] = ["server and when belong to insert rules."]
    if data.get("seed") is not None:
        rule.seed = number(data, "seed", errors, integer=True)
    rule._rng = random.Random(rule.seed if rule.seed is not None else rule_id)
    if errors:
        raise RuleError(errors)
    return rule


def _person_server(server, errors: dict) -> dict | None:
    """The fields of an insert rule's server, checked as a create request's (unknown keys refused)."""
    if not isinstance(server, dict):
        errors["server"] = ["Expected a JSON object with the server's fields."]
        return None
    fields = {**PERSON_SERVER, **server}
    unknown = sorted(set(fields) - set(validation.CREATE_FIELDS) - {"status"})
    checked, problems = validation.validate_create(fields)
    if unknown:
        problems["non_field_errors"] = [f"Unknown keys: {', '.join(unknown)}."]
    if fields["status"] not in catalog.STATUSES:
        problems["status"] = [f"Must be one of: {', '.join(catalog.STATUSES)}."]
    if problems:
        errors["server"] = problems
        return None
    return {**checked, "status": fields["status"]}


@dataclass
class Decision:
    latency: float = 0.0
    rule: Rule | None = None
    fired: list[str] = field(default_factory=list)
    # Insert rules that fired, by when their server lands.
    insert_before: list[Rule] = field(default_factory=list)
    insert_after: list[Rule] = field(default_factory=list)


class FaultBook:
    def __init__(self):
        self._rules: list[Rule] = []
        self._next_id = 1
        self._lock = threading.Lock()

    def add(self, data) -> Rule:
        with self._lock:
            rule = parse_rule(data, self._next_id)
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def list(self) -> list[dict]:
        with self._lock:
            return [rule.public() for rule in self._rules]

    def decide(self, method: str, path: str, authenticated: bool = True, account: str | None = None) -> Decision:
        """Latency rules add up; the first firing status/drop/timeout rule decides the request's fate.

        Insert rules fire besides, for requests of an account only (the person acts in that account).
        A rule with ``account`` fires only for requests authenticated as that account (label ``account``).
        """
        decision = Decision()
        with self._lock:
            for rule in self._rules:
                if not rule.applies_to(method, path, account):
                    continue
                if rule.kind in ERROR_KINDS and decision.rule is not None:
                    continue
                if rule.kind == "insert" and not authenticated:
                    continue
                if not rule.roll():
                    continue
                rule.fired += 1
                if rule.kind == "latency":
                    decision.latency += rule.seconds or 0.0
                    decision.fired.append("latency")
                elif rule.kind == "insert":
                    (decision.insert_before if rule.when == "before" else decision.insert_after).append(rule)
                else:
                    decision.rule = rule
                    decision.fired.append(rule.kind)
        return decision
