"""Content-addressed names and media-type checks shared by the store backends."""

from __future__ import annotations

import hashlib

import pytest

from daemon.media.naming import (
    MEDIA_TYPES,
    InvalidMediaError,
    check_media_type,
    content_name,
    stored_name_extension,
)

SHA = hashlib.sha256(b"x").hexdigest()


def test_content_name_is_sha256_of_the_bytes() -> None:
    name = content_name(b"GIF89a frames", "gif")
    assert name.sha256 == hashlib.sha256(b"GIF89a frames").hexdigest()
    assert name.size == len(b"GIF89a frames")
    assert name.file_name == f"{name.sha256}.gif"


def test_same_bytes_same_name_and_different_bytes_different_name() -> None:
    assert content_name(b"a", "gif") == content_name(b"a", "gif")
    assert content_name(b"a", "gif").file_name != content_name(b"b", "gif").file_name


@pytest.mark.parametrize("extension", ["gif", "webp", "mp4", "png"])
def test_known_pairs_are_accepted(extension: str) -> None:
    check_media_type(MEDIA_TYPES[extension], extension)


@pytest.mark.parametrize(
    ("content_type", "extension", "field"),
    [
        ("image/gif", ".gif", "extension"),
        ("image/gif", "GIF", "extension"),
        ("image/gif", "", "extension"),
        ("image/gif", "../gif", "extension"),
        ("gif", "gif", "content_type"),
        ("", "gif", "content_type"),
        ("video/mp4", "gif", "content_type"),
    ],
)
def test_bad_extension_or_type_names_the_offending_value(
    content_type: str, extension: str, field: str
) -> None:
    with pytest.raises(InvalidMediaError) as caught:
        check_media_type(content_type, extension)
    assert caught.value.field == field
    assert caught.value.value == (extension if field == "extension" else content_type)


def test_unknown_extension_with_a_well_formed_type_is_allowed() -> None:
    # S3 keeps the type with the object, so it can hold formats the local server cannot.
    check_media_type("model/gltf-binary", "glb")


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd",
        f"../{SHA}.gif",
        f"{SHA}.gif/..",
        f"{SHA.upper()}.gif",
        f"{SHA}.GIF",
        f"{SHA[:-1]}.gif",
        f"{SHA}",
        ".partial-abc.gif",
        "secret.txt",
        f"{SHA}.gif\x00.png",
    ],
)
def test_stored_name_extension_refuses_anything_but_content_names(name: str) -> None:
    assert stored_name_extension(name) is None


def test_stored_name_extension_reads_a_content_name() -> None:
    assert stored_name_extension(f"{SHA}.webp") == "webp"
