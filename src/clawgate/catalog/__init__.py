"""The model catalog: built-in provider presets, presets merged with configured providers, and model refs."""
