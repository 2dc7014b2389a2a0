"""Media in and out: references to wire form, streamed saves, previews."""
