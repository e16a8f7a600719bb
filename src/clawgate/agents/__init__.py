"""Agents at work: sessions and runs on top of the one resolver and executor, the stuck-run watchdog, slash
commands, context trimming, subagents and cron. The HTTP/WebSocket surface is in `gateway/sessions_api.py` and
`gateway/ws.py`; the contract is docs/sessions-api.md."""
