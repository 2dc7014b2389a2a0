"""Hedra's public API v2 (talking-avatar video from a face and speech), on plain httpx (`hedra-spec.md`)."""
