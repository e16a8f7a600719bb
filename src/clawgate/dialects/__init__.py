"""Wire dialects (OpenAI chat, OpenAI Responses, Anthropic Messages): one module each, both directions."""
