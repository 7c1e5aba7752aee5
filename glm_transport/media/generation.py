"""CogView images and CogVideoX videos (docs/wire-notes.md §13.4, §13.5).

``image_body`` and ``video_body`` check prompt, size, quality and the other options per model family
and build the request, so a bad value fails here, not after an upload or a paid call. Images answer at
once; a video is a task (``POST /videos/generations``, then ``GET /async-result/{id}`` until
``SUCCESS`` or ``FAIL``), polled with a deadline by the shared flow in ``_flow``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from glm_transport._base import BaseGLMClient, new_request_id
from glm_transport.client import AsyncGLMClient, GLMClient
from glm_transport.errors import GLMContentFilterError, GLMInvalidRequestError

from ._flow import (
    Flow,
    GLMTaskFailedError,
    PollPolicy,
    TaskProgress,
    WireModel,
    adrive,
    drive,
    get_request,
    json_request,
    poll,
)

__all__ = [
    "AsyncImageGenerator",
    "AsyncVideoGenerator",
    "GeneratedImage",
    "GeneratedVideo",
    "ImageGenerator",
    "VideoGenerator",
    "image_body",
    "video_body",
]

_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")


@dataclass(frozen=True)
class _ImageFamily:
    prefixes: tuple[str, ...]
    default_size: str
    side: tuple[int, int]
    multiple: int
    max_pixels: int


# §13.5: CogView sides 512-2048 px in steps of 16, at most 2^21 pixels; glm-image 1024-2048 in steps
# of 32, at most 2^22.
_COGVIEW = _ImageFamily(("cogview-",), "1024x1024", (512, 2048), 16, 2**21)
_GLM_IMAGE = _ImageFamily(("glm-image",), "1280x1280", (1024, 2048), 32, 2**22)
IMAGE_QUALITIES = ("hd", "standard")
VIDEO_QUALITIES = ("speed", "quality")
VIDEO_SIZES = ("1280x720", "720x1280", "1024x1024", "1920x1080", "1080x1920", "2048x1080", "3840x2160")
MAX_VIDEO_PROMPT = 512


def _fail(message: str) -> GLMInvalidRequestError:
    return GLMInvalidRequestError(message)


def _image_family(model: str) -> _ImageFamily:
    for family in (_COGVIEW, _GLM_IMAGE):
        if model.lower().startswith(family.prefixes):
            return family
    raise _fail(f"{model!r} is not an image model; use a CogView model (e.g. 'cogview-4-250304') or 'glm-image'")


def _check_size(size: str, family: _ImageFamily, model: str) -> None:
    match = _SIZE.match(size)
    if match is None:
        raise _fail(f"size must look like '1024x1024', got {size!r}")
    low, high = family.side
    for side in (int(match[1]), int(match[2])):
        if not low <= side <= high or side % family.multiple:
            raise _fail(
                f"{model}: each side of size must be {low}-{high} px and divisible by {family.multiple}, got {size!r}"
            )
    if int(match[1]) * int(match[2]) > family.max_pixels:
        raise _fail(f"{model}: size {size!r} has more than {family.max_pixels} pixels")


def _check_user_id(user_id: str | None) -> None:
    if user_id is not None and not 6 <= len(user_id) <= 128:
        raise _fail("user_id must be 6 to 128 characters")


def image_body(
    model: str,
    prompt: str,
    *,
    size: str | None = None,
    quality: str | None = None,
    user_id: str | None = None,
    watermark_enabled: bool | None = None,
) -> dict[str, Any]:
    """A checked ``POST /images/generations`` body."""
    family = _image_family(model)
    if not isinstance(prompt, str) or not prompt.strip():
        raise _fail("an image needs a non-empty prompt")
    if size is not None:
        _check_size(size, family, model)
    if quality is not None and quality not in IMAGE_QUALITIES:
        raise _fail(f"quality must be 'hd' or 'standard', got {quality!r}")
    _check_user_id(user_id)
    body: dict[str, Any] = {"model": model, "prompt": prompt, "request_id": new_request_id()}
    extras = {"size": size, "quality": quality, "user_id": user_id, "watermark_enabled": watermark_enabled}
    body.update({key: value for key, value in extras.items() if value is not None})
    return body


def video_body(
    model: str,
    prompt: str | None = None,
    *,
    image_url: str | Sequence[str] | None = None,
    quality: str | None = None,
    size: str | None = None,
    fps: int | None = None,
    duration: int | None = None,
    with_audio: bool | None = None,
    user_id: str | None = None,
    watermark_enabled: bool | None = None,
) -> dict[str, Any]:
    """A checked ``POST /videos/generations`` body (the CogVideoX-3 rules of §13.5, applied to the family)."""
    if not model.lower().startswith("cogvideox"):
        raise _fail(f"{model!r} is not a CogVideoX model; use e.g. 'cogvideox-3'")
    if not (prompt and prompt.strip()) and not image_url:
        raise _fail("a video needs a prompt, an image_url, or both")
    if prompt is not None and len(prompt) > MAX_VIDEO_PROMPT:
        raise _fail(f"a video prompt takes at most {MAX_VIDEO_PROMPT} characters, got {len(prompt)}")
    if quality is not None and quality not in VIDEO_QUALITIES:
        raise _fail(f"video quality must be 'speed' or 'quality', got {quality!r}")
    if isinstance(image_url, Sequence) and not isinstance(image_url, str):
        if len(image_url) != 2:
            raise _fail("image_url as a list means first and last frame: give exactly two")
        if quality == "quality":
            raise _fail("first-and-last-frame videos work in quality='speed' only")
        image_url = list(image_url)
    if size is not None and size not in VIDEO_SIZES:
        raise _fail(f"video size must be one of {', '.join(VIDEO_SIZES)}; got {size!r}")
    if fps is not None and fps not in (30, 60):
        raise _fail(f"fps must be 30 or 60, got {fps!r}")
    if duration is not None and duration not in (5, 10):
        raise _fail(f"duration must be 5 or 10 seconds, got {duration!r}")
    _check_user_id(user_id)
    body: dict[str, Any] = {"model": model, "request_id": new_request_id()}
    extras = {
        "prompt": prompt,
        "image_url": image_url,
        "quality": quality,
        "size": size,
        "fps": fps,
        "duration": duration,
        "with_audio": with_audio,
        "user_id": user_id,
        "watermark_enabled": watermark_enabled,
    }
    body.update({key: value for key, value in extras.items() if value is not None})
    return body


# ---------------------------------------------------------------- replies and results


class ImageReply(WireModel):
    created: int | None = None
    data: list[dict[str, Any]] | None = None
    content_filter: list[dict[str, Any]] | None = None


class TaskReply(WireModel):
    id: str | None = None
    model: str | None = None
    request_id: str | None = None
    task_status: str | None = None
    video_result: list[dict[str, Any]] | None = None
    content_filter: list[dict[str, Any]] | None = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class GeneratedImage:
    """``urls`` of the images (one today; they expire after 30 days) and the content-filter levels GLM
    reported, ``[{"role", "level"}]``."""

    model: str
    urls: list[str]
    created: int | None = None
    content_filter: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class GeneratedVideo:
    """A finished video task: its video and cover URLs."""

    model: str
    task_id: str
    url: str
    cover_image_url: str | None = None
    content_filter: list[dict[str, Any]] = field(default_factory=list)


def _filtered(filters: list[dict[str, Any]] | None, what: str, request_id: str | None) -> GLMContentFilterError:
    levels = ", ".join(f"{f.get('role')}: level {f.get('level')}" for f in filters or ()) or "no details"
    return GLMContentFilterError(
        f"GLM's content filter blocked the {what} ({levels})", status_code=200, code="1301", request_id=request_id
    )


def image_result(model: str, reply: ImageReply, request_id: str) -> GeneratedImage:
    urls = [str(item["url"]) for item in reply.data or () if isinstance(item, Mapping) and item.get("url")]
    if not urls:
        raise _filtered(reply.content_filter, "image", request_id)
    return GeneratedImage(model, urls, reply.created, list(reply.content_filter or ()))


def video_flow(
    client: BaseGLMClient,
    body: Mapping[str, Any],
    policy: PollPolicy,
    on_progress: Callable[[TaskProgress], None] | None,
) -> Flow[GeneratedVideo]:
    created = yield json_request(client, "/videos/generations", body, TaskReply)
    if not created.id:
        raise GLMTaskFailedError(f"GLM did not start the video task: {created.model_dump()}")
    task_id = created.id
    reply = yield from poll(
        lambda: get_request(client, f"/async-result/{task_id}", TaskReply),
        lambda r: str(r.task_status or "PROCESSING").upper(),
        task_id=task_id,
        # "FAILED" and "SUBMITTED" appear in the SDK's examples only (§13.4): accepted, never required.
        done=frozenset({"SUCCESS", "FAIL", "FAILED"}),
        policy=policy,
        on_progress=on_progress,
    )
    videos = [v for v in reply.video_result or () if isinstance(v, Mapping) and v.get("url")]
    if str(reply.task_status).upper() != "SUCCESS" or not videos:
        if reply.content_filter:
            raise _filtered(reply.content_filter, "video", reply.request_id)
        raise GLMTaskFailedError(f"video task {task_id} failed: {reply.error or reply.task_status}", task_id=task_id)
    first = videos[0]
    cover = first.get("cover_image_url")
    return GeneratedVideo(
        str(body["model"]), task_id, str(first["url"]), str(cover) if cover else None, list(reply.content_filter or ())
    )


# ---------------------------------------------------------------- the two clients


class _ImageBase:
    def __init__(self, model: str = "cogview-4-250304", **defaults: Any) -> None:
        image_body(model, "check", **defaults)  # bad defaults fail at construction
        self.model, self.defaults = model, defaults

    def _body(self, prompt: str, options: Mapping[str, Any]) -> dict[str, Any]:
        return image_body(self.model, prompt, **{**self.defaults, **options})


class ImageGenerator(_ImageBase):
    """Generate images with a ``GLMClient`` (used, never closed here); ``defaults`` are ``image_body`` options."""

    def __init__(self, client: GLMClient, model: str = "cogview-4-250304", **defaults: Any) -> None:
        super().__init__(model, **defaults)
        self.client = client

    def generate(self, prompt: str, **options: Any) -> GeneratedImage:
        call = json_request(self.client, "/images/generations", self._body(prompt, options), ImageReply)
        reply = self.client._json(self.client._prepared(call.request, call.request_id), ImageReply)
        return image_result(self.model, reply, call.request_id)


class AsyncImageGenerator(_ImageBase):
    """``ImageGenerator`` for an ``AsyncGLMClient``."""

    def __init__(self, client: AsyncGLMClient, model: str = "cogview-4-250304", **defaults: Any) -> None:
        super().__init__(model, **defaults)
        self.client = client

    async def generate(self, prompt: str, **options: Any) -> GeneratedImage:
        call = json_request(self.client, "/images/generations", self._body(prompt, options), ImageReply)
        reply = await self.client._json(self.client._prepared(call.request, call.request_id), ImageReply)
        return image_result(self.model, reply, call.request_id)


class _VideoBase:
    def __init__(self, model: str = "cogvideox-3", *, poll: PollPolicy | None = None, **defaults: Any) -> None:
        video_body(model, "check", **defaults)
        self.model, self.defaults = model, defaults
        self.policy = poll or PollPolicy(timeout=900.0, initial=5.0, max_interval=30.0)

    def _flow(
        self,
        client: BaseGLMClient,
        prompt: str | None,
        options: Mapping[str, Any],
        on_progress: Callable[[TaskProgress], None] | None,
    ) -> Flow[GeneratedVideo]:
        body = video_body(self.model, prompt, **{**self.defaults, **options})
        return video_flow(client, body, self.policy, on_progress)


class VideoGenerator(_VideoBase):
    """Generate videos with a ``GLMClient``: submit, then poll until done or ``poll.timeout`` passes."""

    def __init__(self, client: GLMClient, model: str = "cogvideox-3", **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.client = client

    def generate(
        self, prompt: str | None = None, *, on_progress: Callable[[TaskProgress], None] | None = None, **options: Any
    ) -> GeneratedVideo:
        return drive(self.client, self._flow(self.client, prompt, options, on_progress))


class AsyncVideoGenerator(_VideoBase):
    """``VideoGenerator`` for an ``AsyncGLMClient``."""

    def __init__(self, client: AsyncGLMClient, model: str = "cogvideox-3", **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.client = client

    async def generate(
        self, prompt: str | None = None, *, on_progress: Callable[[TaskProgress], None] | None = None, **options: Any
    ) -> GeneratedVideo:
        return await adrive(self.client, self._flow(self.client, prompt, options, on_progress))
