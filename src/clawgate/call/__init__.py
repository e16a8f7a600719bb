"""Making a call: the executor (credentials, retries, fallbacks, streams), transport, health, probes and the
long-lived runtime that holds them."""
