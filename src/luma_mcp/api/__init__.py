"""Everything about the Luma Agents API, and nothing about MCP."""
