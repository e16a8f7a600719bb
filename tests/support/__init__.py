"""Plumbing shared by the test suites: the scrubbed environment (`env`), free ports and polling with a deadline
(`ports`), the provider emulator's session fixtures (`emulator`) and `clawgate gateway run` subprocesses
(`gateway`). Nothing here is a fixture by itself: each suite's conftest builds its fixtures from these."""
