"""The configuration file: JSON5 parsing with positions, the strict schema, and path-based edits."""
