"""clawgate: a self-hosted AI agent gateway that names the failing layer and the next command."""

__version__ = "0.1.0"
