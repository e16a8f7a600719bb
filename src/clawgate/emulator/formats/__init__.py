"""Wire formats shared by several dialects: OpenAI chat completions, OpenAI Responses, Anthropic Messages."""
