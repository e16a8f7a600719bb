"""A driver's message about an engine names its host, never the URL's password (Redis and PostgreSQL alike)."""

from __future__ import annotations

from clawgate.state.redis import scrub_url, url_host


def test_a_driver_message_keeps_the_host_and_loses_the_password() -> None:
    url = "postgresql://clawgate:sk-test-pw-123@db.internal:5432/clawgate"
    msg = f"could not connect to {url}: connection refused (password sk-test-pw-123 rejected)"
    out = scrub_url(msg, url)
    assert "sk-test-pw-123" not in out
    assert url_host(url) in out and "db.internal" in out
    assert scrub_url("timeout", "redis://127.0.0.1:6379/0") == "timeout"
    assert scrub_url("bad url", "redis://[::1") == "bad url"  # an unparsable URL is not an error of its own
