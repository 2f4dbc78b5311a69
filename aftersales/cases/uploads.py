"""Evidence file checks. The type is read from the file's bytes, never trusted from its name."""

from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from aftersales.core.exceptions import InvalidUpload

ALLOWED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
}
ALLOWED_DESCRIPTION = "JPEG, PNG, GIF, WebP, PDF, MP4, MOV, WebM"


@dataclass(frozen=True)
class CheckedUpload:
    file: UploadedFile
    content_type: str
    extension: str
    size: int


def allowed_upload_help() -> str:
    return _(
        "Up to %(count)d files: photos (JPEG, PNG, GIF, WebP) or PDF up to %(size)s each, "
        "short videos (MP4, MOV, WebM) up to %(video_size)s."
    ) % {
        "count": settings.UPLOAD_MAX_FILES,
        "size": filesizeformat(settings.UPLOAD_MAX_BYTES),
        "video_size": filesizeformat(settings.UPLOAD_MAX_VIDEO_BYTES),
    }


def check_upload(upload: UploadedFile) -> CheckedUpload:
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    content_type = kind.mime if kind else ""
    if content_type not in ALLOWED_TYPES:
        raise InvalidUpload(
            _("“%(name)s” is not an accepted file type. Allowed: %(allowed)s.")
            % {"name": upload.name, "allowed": ALLOWED_DESCRIPTION}
        )
    limit = (
        settings.UPLOAD_MAX_VIDEO_BYTES
        if content_type.startswith("video/")
        else settings.UPLOAD_MAX_BYTES
    )
    if upload.size > limit:
        raise InvalidUpload(
            _("“%(name)s” is %(size)s; the limit for this type is %(limit)s.")
            % {
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(limit),
            }
        )
    return CheckedUpload(upload, content_type, ALLOWED_TYPES[content_type], upload.size)


def check_uploads(uploads: list[UploadedFile], *, already: int = 0) -> list[CheckedUpload]:
    if len(uploads) + already > settings.UPLOAD_MAX_FILES:
        raise InvalidUpload(
            _("At most %(count)d files can be attached.") % {"count": settings.UPLOAD_MAX_FILES}
        )
    return [check_upload(upload) for upload in uploads]
