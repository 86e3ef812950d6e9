"""pytest plugin: a run in which tests were collected but none ran (all skipped) fails.

Loaded by the Makefile's run_pytest (`-p all_skipped_fails`): a gate whose every test skipped
has checked nothing, so it must not pass as green.
"""

from __future__ import annotations

import pytest


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or exitstatus != pytest.ExitCode.OK or session.testscollected == 0:
        return
    ran = sum(len(reporter.stats.get(kind, [])) for kind in ("passed", "failed", "xfailed", "xpassed", "error"))
    skipped = len(reporter.stats.get("skipped", []))
    if ran == 0 and skipped:
        reporter.ensure_newline()
        reporter.write_line(f"error: all {skipped} collected tests were skipped; nothing was checked", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
