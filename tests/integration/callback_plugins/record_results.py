# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: append every task result, then the per-host totals, as JSON lines to $RECORD_RESULTS_FILE.

Integration tests read these lines to assert on registered results and on the play recap without
parsing the human output, which changes between ansible-core versions.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: record_results
type: aggregate
short_description: Record task results as JSON lines for the integration tests
description:
  - Writes one JSON object per task result to the file named by C(RECORD_RESULTS_FILE), and at the end one
    object with the per-host totals of the play recap.
requirements:
  - Enabled through C(ANSIBLE_CALLBACKS_ENABLED).
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    @staticmethod
    def _write(line):
        path = os.environ.get("RECORD_RESULTS_FILE")
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, default=str) + "\n")

    def _record(self, result, status):
        data = result._result
        if status == "ok" and data.get("changed"):
            status = "changed"
        line = {
            "task": result._task.get_name(),
            "action": result._task.action,
            "host": result._host.get_name(),
            "status": status,
            "result": data,
        }
        self._write(line)

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._write({"recap": {host: stats.summarize(host) for host in sorted(stats.processed)}})
