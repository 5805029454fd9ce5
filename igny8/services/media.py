"""Generated files in the media folder: ``<account>/<site>/<name>``, served by /media/."""

from __future__ import annotations

import os

from flask import current_app

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def save_image(account_id: int, site_id: int, image_id: int, data: bytes, mime: str) -> str:
    """Write an image atomically; returns its path relative to the media folder.

    The name depends only on the image id, so saving again (a retried item) overwrites
    instead of leaving a second file.
    """
    relative = os.path.join(str(account_id), str(site_id), f"image-{image_id}.{EXTENSIONS.get(mime, 'png')}")
    path = os.path.join(current_app.config["MEDIA_FOLDER"], relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return relative
