"""`clawgate logs --json` is one JSON object per line, also when there is nothing to show yet."""

from __future__ import annotations

import json


def test_logs_json_with_no_entries_is_empty_json_lines(home, cli):
    r = cli("logs", "--json")
    assert r.code == 0
    assert [json.loads(line) for line in r.out.splitlines() if line.strip()] == []
    assert r.out == "" and "no calls or log entries" in r.err
    r = cli("logs")
    assert "no calls or log entries" in r.out
