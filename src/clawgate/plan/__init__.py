"""Resolution: a snapshot of config, environment and credential stores, and the plan it makes for a call
(agent → model → provider → credential)."""
