"""Rules for the Uni-1 types: `image`, `image_edit` and `layering` (spec 5.3)."""

from __future__ import annotations

from collections.abc import Iterator

from . import vocabulary as v
from .common import Body, Violation, as_list, as_mapping, check_image_ref, present, refs_in


def check_image(body: Body) -> Iterator[Violation]:
    if present(body, "source"):
        yield Violation(
            "M1",
            "source",
            "source is only valid for type 'image_edit'",
            "To change an existing image, use image_edit with it as source.",
        )
    yield from _check_refs(body, "image")


def check_image_edit(body: Body, *, strict: bool) -> Iterator[Violation]:
    if not present(body, "source"):
        yield Violation("M2", "source", "source is required for type 'image_edit'", "Give the image to edit as source.")
    else:
        yield from check_image_ref(body["source"], "source")
    if strict and present(body, "aspect_ratio"):
        yield Violation(
            "M5",
            "aspect_ratio",
            "aspect_ratio is not used for type 'image_edit'",
            "Remove aspect_ratio: the edit keeps the source's aspect ratio.",
        )
    yield from _check_refs(body, "image_edit")


def _check_refs(body: Body, gen_type: str) -> Iterator[Violation]:
    refs = as_list(body.get("image_ref")) or []
    limit = v.MAX_IMAGE_REFS[gen_type]
    if len(refs) > limit:
        detail = (
            "image_ref supports up to 9 reference images"
            if gen_type == "image"
            else "image_edit supports up to 8 reference images (source occupies one slot)"
        )
        yield Violation("M3" if gen_type == "image" else "M4", "image_ref", detail, f"Keep at most {limit}.")
    for path, ref in refs_in(refs, "image_ref"):
        yield from check_image_ref(ref, path)


def check_layering(body: Body) -> Iterator[Violation]:
    if not present(body, "source"):
        yield Violation(
            "M7", "source", "source is required for type 'layering'", "Give the image to split into layers."
        )
    else:
        yield from check_image_ref(body["source"], "source")
    resolution = (as_mapping(body.get("layering")) or {}).get("resolution")
    if resolution is not None and resolution not in v.LAYERING_RESOLUTIONS:
        yield Violation("M8", "layering.resolution", f"Invalid layering resolution '{resolution}'", "Use '1k' or '2k'.")
