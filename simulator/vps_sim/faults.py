"""Fault rules for the public API: error statuses, latency, dropped or failed answers after commit, hangs."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

from .numbers import number

KINDS = ("status", "latency", "drop_after_commit", "error_after_commit", "timeout")
STATUSES = (429, 500, 502, 503, 504)
# What a gateway may answer after the API behind it committed the request (the client cannot tell).
AFTER_COMMIT_STATUSES = (500, 502, 503, 504)
# Kinds that decide a request's fate (the others only delay it).
ERROR_KINDS = ("status", "drop_after_commit", "error_after_commit", "timeout")
RULE_KEYS = {"kind", "status", "retry_after", "rate", "count", "method", "path", "seconds", "seed"}


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
    fired: int = 0
    _pattern: re.Pattern | None = field(default=None, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def applies_to(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
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
    if data.get("seed") is not None:
        rule.seed = number(data, "seed", errors, integer=True)
    rule._rng = random.Random(rule.seed if rule.seed is not None else rule_id)
    if errors:
        raise RuleError(errors)
    return rule


@dataclass
class Decision:
    latency: float = 0.0
    rule: Rule | None = None
    fired: list[str] = field(default_factory=list)


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

    def decide(self, method: str, path: str) -> Decision:
        """Latency rules add up; the first firing status/drop/timeout rule decides the request's fate."""
        decision = Decision()
        with self._lock:
            for rule in self._rules:
                if not rule.applies_to(method, path):
                    continue
                if rule.kind != "latency" and decision.rule is not None:
                    continue
                if not rule.roll():
                    continue
                rule.fired += 1
                if rule.kind == "latency":
                    decision.latency += rule.seconds or 0.0
                    decision.fired.append("latency")
                else:
                    decision.rule = rule
                    decision.fired.append(rule.kind)
        return decision
