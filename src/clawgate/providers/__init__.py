"""Provider wire handling: SSE parsing and the failure classifier for upstream errors."""
