"""Small pieces of English shared by every message about media, whichever provider's."""

from __future__ import annotations

__all__ = ["a_or_an", "with_article"]

# Words that start with a vowel letter but not a vowel sound, and the reverse, among those we write.
_CONSONANT_SOUND = ("uni", "use", "one")
_VOWEL_SOUND = ("hdr", "mp4", "mp3", "8")


def a_or_an(word: str) -> str:
    """The indefinite article for `word` as it is read aloud ("an image", "a video", "an MP4")."""
    lowered = word.lower()
    if lowered.startswith(_VOWEL_SOUND):
        return "an"
    if lowered.startswith(_CONSONANT_SOUND):
        return "a"
    return "an" if lowered[:1] in ("a", "e", "i", "o", "u") else "a"


def with_article(word: str) -> str:
    """`word` after its indefinite article: "an image_edit", "a video"."""
    return f"{a_or_an(word)} {word}"
