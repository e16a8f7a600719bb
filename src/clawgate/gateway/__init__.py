"""The gateway: an OpenAI- and Anthropic-compatible HTTP API over the one resolver and executor."""
