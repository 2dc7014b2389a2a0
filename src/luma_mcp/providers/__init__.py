"""The APIs behind the tools, one folder each, behind the interface in `base.py`. Nothing here imports MCP."""
