"""`clawgate tui`: a Textual chat over the gateway's sessions API and `/ws` (see `clawgate.tui.app`)."""
