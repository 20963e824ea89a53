"""Drafting in the user's voice from other programs: an OpenAI-compatible HTTP endpoint and an MCP server."""
