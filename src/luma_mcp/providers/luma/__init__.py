"""The Luma Agents API (Ray 3.2 video, Uni-1 images) through the official `luma-agents` SDK."""
