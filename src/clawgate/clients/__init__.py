"""Clients of the gateway and what each may do: client keys (named, scoped, expiring, rotated, revoked, stored
hashed), paired devices (a TUI, chat or control UI on another machine), RPM/TPM limits per client key and per
provider credential on the shared state, the providers' own rate-limit headers, and spend with budgets.

The gateway token stays the owner's key: it may do everything, and manages keys and devices. See
docs/clients.md."""
