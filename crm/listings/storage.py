"""Where listing photos are kept: one small interface, a folder on disk by default.

Keys are relative paths with forward slashes ("listings/12/34-ab12….jpg"). Uploads waiting
to be processed live under "uploads/" and are never served; the processed copies live
under "listings/". Several web machines share the files through a shared mount of the
folder (NFS), or another implementation of `Storage` (an S3-compatible store): see
docs/deploy.md.
"""
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_.-]*)+$")


class Storage(Protocol):
    def save(self, key: str, data: bytes | BinaryIO) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """Files in one folder. A save is atomic (a temporary file renamed into place), so a
    reader never sees half a file, also on a shared NFS mount."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key:
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def save(self, key: str, data: bytes | BinaryIO) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    for chunk in iter(lambda: data.read(1024 * 1024), b""):
                        out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()


def media_root() -> str:
    return current_app.config.get("CRM_MEDIA_DIR") or os.path.join(current_app.instance_path,
                                                                   "media")


def storage() -> Storage:
    """The app's storage (one per app, made on first use)."""
    found = current_app.extensions.get("crm_media_storage")
    if found is None:
        found = current_app.extensions["crm_media_storage"] = LocalStorage(media_root())
    return found


def delete_quietly(keys: list[str]) -> None:
    """Delete files whose rows are gone already (after the commit): a file that will not go
    is logged and left, a leftover file harms nobody."""
    store = storage()
    for key in keys:
        try:
            store.delete(key)
        except OSError:
            log.warning("could not delete media file %s", key, exc_info=True)
