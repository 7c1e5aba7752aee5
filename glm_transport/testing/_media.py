"""The local server's media endpoints (docs/wire-notes.md §13.3-13.5): the file parser
(``/files/parser/create``, ``/files/parser/result/{id}/{format}``, ``/files/parser/sync``),
``/images/generations``, ``/videos/generations`` and ``/async-result/{id}`` for video tasks.

Deterministic stand-ins: the parser reads PDF, Office and text files with ``documents.extract_text``
(an unreadable file makes a failed task); images and videos get URLs on ``local.glm.invalid``; a prompt
containing "unsafe" trips the content filter (code 1301), as real moderation would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from email import policy
from email.parser import BytesParser
from typing import Any

from ._auth import check_auth
from ._errors import ApiError, invalid, missing
from ._plan import Plan, json_plan
from ._tasks import TaskRegistry
from ._text import new_id
from ._validate import parse_body
from .documents import extract_text

__all__ = ["route"]

MEDIA_HOST = "https://local.glm.invalid"
_LITE = {"pdf", "docx", "doc", "xls", "xlsx", "ppt", "pptx", "png", "jpg", "jpeg", "csv", "txt", "md"}
_PRIME = _LITE | {"html", "bmp", "gif", "webp", "heic", "eps", "icns", "im", "pcx", "ppm", "tiff", "xbm", "heif", "jp2"}
_PARSER_TYPES = {"lite": _LITE, "expert": {"pdf"}, "prime": _PRIME, "prime-sync": _PRIME | {"wps"}}
_IMAGE_MODELS = ("cogview-3", "cogview-3-flash", "cogview-4", "cogview-4-250304", "glm-image")
_VIDEO_SIZES = ("1280x720", "720x1280", "1024x1024", "1920x1080", "1080x1920", "2048x1080", "3840x2160")
_RESULT = re.compile(r"^/files/parser/result/([^/]+)/([^/]+)$")
_ASYNC = re.compile(r"^/async-result/([^/]+)$")


def route(app: Any, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Plan | None:
    """The plan for a media request, or ``None`` when ``path`` is not one of these endpoints."""
    tasks: TaskRegistry = app.tasks
    posts = {
        "/files/parser/create": lambda: _parser_create(tasks, headers, body),
        "/files/parser/sync": lambda: _parser_sync(headers, body),
        "/images/generations": lambda: _image(parse_body(body)),
        "/videos/generations": lambda: _video(tasks, parse_body(body)),
    }
    result, poll = _RESULT.match(path), _ASYNC.match(path)
    if poll is not None and tasks.kind_of(poll[1]) in (None, "parser"):
        poll = None  # not one of ours: another route (async chat, say) may know the id
    if path not in posts and result is None and poll is None:
        return None
    want = "POST" if path in posts else "GET"
    if method != want:
        raise ApiError(405, "1210", f"Method {method} is not allowed", {"Allow": want})
    check_auth(headers.get("authorization"), app.config.api_key, now_ms=int(time.time() * 1000))
    if result is not None:
        if result[2] not in ("text", "download_link"):
            raise invalid("format_type", "must be text or download_link")
        return json_plan(200, _parser_view(tasks.poll(result[1], ("parser",)), result[2]))
    if poll is not None:
        return json_plan(200, tasks.poll(poll[1], ("video", "image", "chat")))
    return json_plan(200, posts[path]())


# ---------------------------------------------------------------- parser


def form(headers: Mapping[str, str], body: bytes) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """The text fields and the ``file`` part ``(file name, bytes)`` of a multipart body."""
    content_type = headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(400, "1210", "Content-Type must be multipart/form-data.")
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    upload = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        if name == "file":
            upload = (part.get_filename() or "upload", payload)
        else:
            fields[name] = payload.decode("utf-8")
    return fields, upload


def _parse_request(headers: Mapping[str, str], body: bytes, tiers: tuple[str, ...]) -> tuple[str, str, bytes]:
    fields, upload = form(headers, body)
    tier = fields.get("tool_type")
    if not tier:
        raise missing("tool_type")
    if tier not in tiers:
        raise invalid("tool_type", f"must be one of {', '.join(tiers)}")
    file_type = fields.get("file_type", "").lower()
    if upload is None:
        raise missing("file")
    if not file_type:
        file_type = upload[0].rpartition(".")[2].lower()
    if file_type not in _PARSER_TYPES[tier]:
        raise invalid("file_type", f"{file_type.upper() or '?'} is not supported by {tier}")
    return tier, file_type, upload[1]


def _parsed(task_id: str, file_type: str, data: bytes) -> dict[str, Any]:
    try:
        text = extract_text(data, file_type)
    except (ValueError, UnicodeDecodeError) as exc:
        return {"status": "failed", "message": f"解析失败: {exc}", "task_id": task_id, "content": None}
    return {"status": "succeeded", "message": "结果获取成功", "task_id": task_id, "content": text}


def _parser_view(result: dict[str, Any], fmt: str) -> dict[str, Any]:
    view = {**result, "parsing_result_url": None}
    if fmt == "download_link":
        view["content"] = None
        if result["status"] == "succeeded":
            view["parsing_result_url"] = f"{MEDIA_HOST}/parser/{result['task_id']}.zip"
    return view


def _parser_create(tasks: TaskRegistry, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    _, file_type, data = _parse_request(headers, body, ("lite", "expert", "prime"))
    task_id = new_id()
    done = _parsed(task_id, file_type, data)
    running = {"status": "processing", "message": "任务处理中", "task_id": task_id, "content": None}
    tasks.add(task_id, "parser", lambda: dict(running), lambda: dict(done))
    return {"message": "任务创建成功", "success": True, "task_id": task_id}


def _parser_sync(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    _, file_type, data = _parse_request(headers, body, ("prime-sync",))
    return _parser_view(_parsed(new_id(), file_type, data), "text")


# ---------------------------------------------------------------- images and video


def _prompt(body: Mapping[str, Any], *, required: bool = True) -> str:
    prompt = body.get("prompt")
    if prompt is None and required:
        raise missing("prompt")
    if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
        raise invalid("prompt", "must be a non-empty string")
    if prompt and "unsafe" in prompt.lower():
        raise ApiError(400, "1301")
    return prompt or ""


def _check_image_size(size: Any, model: str) -> None:
    low, step, pixels = (1024, 32, 2**22) if model == "glm-image" else (512, 16, 2**21)
    match = re.fullmatch(r"(\d+)x(\d+)", size) if isinstance(size, str) else None
    sides = (int(match[1]), int(match[2])) if match else ()
    if not sides or any(not low <= s <= 2048 or s % step for s in sides) or sides[0] * sides[1] > pixels:
        raise invalid("size", f"sides must be {low}-2048 px, multiples of {step}, at most {pixels} pixels")


def _image(body: Mapping[str, Any]) -> dict[str, Any]:
    model = body.get("model")
    if not model:
        raise missing("model")
    if model not in _IMAGE_MODELS:
        raise ApiError(400, "1211", f"Unknown Model, please check the model code: {model}")
    _prompt(body)
    if body.get("size") is not None:
        _check_image_size(body["size"], str(model))
    if body.get("quality") not in (None, "hd", "standard"):
        raise invalid("quality", "must be hd or standard")
    image = new_id()
    return {
        "created": int(time.time()),
        "data": [{"url": f"{MEDIA_HOST}/images/{image}.png"}],
        "content_filter": [{"role": "assistant", "level": 3}],
    }


def _check_video(body: Mapping[str, Any]) -> None:
    choices = {
        "quality": ("speed", "quality"),
        "size": _VIDEO_SIZES,
        "fps": (30, 60),
        "duration": (5, 10),
    }
    for name, allowed in choices.items():
        if body.get(name) is not None and body[name] not in allowed:
            raise invalid(name, f"must be one of {', '.join(map(str, allowed))}")
    image = body.get("image_url")
    if isinstance(image, list) and (len(image) != 2 or body.get("quality") == "quality"):
        raise invalid("image_url", "a list means first and last frame: two images, speed mode only")


def _video(tasks: TaskRegistry, body: Mapping[str, Any]) -> dict[str, Any]:
    model = body.get("model")
    if not model:
        raise missing("model")
    if not str(model).startswith("cogvideox"):
        raise ApiError(400, "1211", f"Unknown Model, please check the model code: {model}")
    prompt = _prompt(body, required=not body.get("image_url"))
    if len(prompt) > 512:
        raise invalid("prompt", "at most 512 characters")
    _check_video(body)
    task_id, request_id = new_id(), str(body.get("request_id") or new_id())
    head = {"model": model, "request_id": request_id}
    failed = "fail" in prompt.lower()
    video = {"url": f"{MEDIA_HOST}/videos/{task_id}.mp4", "cover_image_url": f"{MEDIA_HOST}/videos/{task_id}.png"}
    final = {**head, "task_status": "FAIL"} if failed else {**head, "task_status": "SUCCESS", "video_result": [video]}
    tasks.add(task_id, "video", lambda: {**head, "task_status": "PROCESSING"}, lambda: dict(final))
    return {**head, "id": task_id, "task_status": "PROCESSING"}
