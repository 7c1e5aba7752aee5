"""The local server's media endpoints are as strict as the API (docs/wire-notes.md §13.3-13.5): raw
HTTP requests, so what is checked is the server itself, not the client that usually guards it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from glm_transport.testing import LocalGLMServer
from glm_transport.testing.documents import extract_text, sample_docx, sample_pdf, sample_png

AUTH = {"Authorization": "Bearer test-key"}


def post(server: LocalGLMServer, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(server.base_url + path, headers=AUTH, **kwargs)


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


@pytest.mark.parametrize(
    ("data", "files", "expected"),
    [
        ({"file_type": "PDF"}, {"file": ("a.pdf", b"%PDF-")}, ("1213", "tool_type")),
        ({"tool_type": "fast"}, {"file": ("a.pdf", b"%PDF-")}, ("1214", "tool_type")),
        ({"tool_type": "lite", "file_type": "PDF"}, None, ("1213", "file")),
        (
            {"tool_type": "expert", "file_type": "DOCX"},
            {"file": ("a.docx", b"PK")},
            ("1214", "DOCX is not supported by expert"),
        ),
        ({"tool_type": "prime-sync", "file_type": "PDF"}, {"file": ("a.pdf", b"%PDF-")}, ("1214", "tool_type")),
    ],
)
def test_parser_create_refuses_bad_forms(
    glm_server: LocalGLMServer, data: dict[str, str], files: dict[str, Any] | None, expected: tuple[str, str]
) -> None:
    status, code, message = error(post(glm_server, "/files/parser/create", data=data, files=files or {"x": ("", b"")}))
    assert status == 400 and code == expected[0] and expected[1] in message


def test_parser_create_needs_multipart(glm_server: LocalGLMServer) -> None:
    status, code, message = error(post(glm_server, "/files/parser/create", json={"tool_type": "lite"}))
    assert (status, code) == (400, "1210") and "multipart/form-data" in message


def test_parser_result_is_a_get_with_a_known_format(glm_server: LocalGLMServer) -> None:
    created = post(glm_server, "/files/parser/create", data={"tool_type": "lite"}, files={"file": ("a.txt", b"hi")})
    task = created.json()["task_id"]
    assert created.json() == {"message": "任务创建成功", "success": True, "task_id": task}
    assert post(glm_server, f"/files/parser/result/{task}/text").status_code == 405
    bad = httpx.get(glm_server.base_url + f"/files/parser/result/{task}/pdf", headers=AUTH)
    assert error(bad)[:2] == (400, "1214")
    running = httpx.get(glm_server.base_url + f"/files/parser/result/{task}/text", headers=AUTH).json()
    done = httpx.get(glm_server.base_url + f"/files/parser/result/{task}/text", headers=AUTH).json()
    assert running["status"] == "processing" and running["content"] is None
    assert done == {**done, "status": "succeeded", "content": "hi", "task_id": task, "parsing_result_url": None}


def test_media_endpoints_need_the_key(glm_server: LocalGLMServer) -> None:
    response = httpx.post(glm_server.base_url + "/images/generations", json={"model": "cogview-4", "prompt": "x"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"prompt": "x"}, ("1213", "model")),
        ({"model": "cogview-9", "prompt": "x"}, ("1211", "cogview-9")),
        ({"model": "cogview-4"}, ("1213", "prompt")),
        ({"model": "cogview-4", "prompt": "x", "size": "1000x1000"}, ("1214", "multiples of 16")),
        ({"model": "glm-image", "prompt": "x", "size": "1024x1040"}, ("1214", "multiples of 32")),
        ({"model": "cogview-4", "prompt": "x", "quality": "ultra"}, ("1214", "quality")),
        ({"model": "cogview-4", "prompt": "an unsafe thing"}, ("1301", "unsafe or sensitive")),
    ],
)
def test_image_generation_refuses_what_the_api_refuses(
    glm_server: LocalGLMServer, body: dict[str, Any], expected: tuple[str, str]
) -> None:
    status, code, message = error(post(glm_server, "/images/generations", json=body))
    assert status == 400 and code == expected[0] and expected[1] in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "cogvideox-3"}, ("1213", "prompt")),
        ({"model": "cogvideox-3", "prompt": "x" * 513}, ("1214", "512")),
        ({"model": "cogvideox-3", "prompt": "x", "fps": 24}, ("1214", "fps")),
        ({"model": "cogvideox-3", "prompt": "x", "image_url": ["a", "b"], "quality": "quality"}, ("1214", "speed")),
        ({"model": "sora", "prompt": "x"}, ("1211", "sora")),
    ],
)
def test_video_generation_refuses_what_the_api_refuses(
    glm_server: LocalGLMServer, body: dict[str, Any], expected: tuple[str, str]
) -> None:
    status, code, message = error(post(glm_server, "/videos/generations", json=body))
    assert status == 400 and code == expected[0] and expected[1] in message


def test_a_video_result_is_not_a_parser_result(glm_server: LocalGLMServer) -> None:
    task = post(glm_server, "/videos/generations", json={"model": "cogvideox-3", "prompt": "waves"}).json()["id"]
    wrong = httpx.get(glm_server.base_url + f"/files/parser/result/{task}/text", headers=AUTH)
    assert error(wrong)[:2] == (404, "1222")


def test_the_sample_writers_round_trip_through_the_reader() -> None:
    assert extract_text(sample_pdf([["(a) b\\c", "line two"], "page two"]), "pdf") == "(a) b\\c\nline two\n\npage two"
    assert extract_text(sample_docx(["x < y & z"]), "docx") == "x < y & z"
    assert extract_text(sample_png(3, 2), "png") == "An image (3x2 pixels, PNG) with no text."
    cases = (b"%PDF-1.4\n", "pdf", "no text"), (b"PK", "docx", "not an Office"), (b"GIF", "png", "not a readable")
    for data, kind, why in (*cases, (b"x", "eps", "cannot read .eps")):
        with pytest.raises(ValueError, match=why):
            extract_text(data, kind)
