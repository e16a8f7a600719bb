"""Tests of the provider emulator (`clawgate.emulator`)."""
