"""CogView images and CogVideoX videos in the transport: options checked per model family before
sending, URLs returned, the content filter surfaced, video tasks polled with progress and a deadline."""

from __future__ import annotations

import pytest

from glm_transport import GLMContentFilterError, GLMInvalidRequestError, GLMTimeoutError
from glm_transport.media import (
    AsyncImageGenerator,
    AsyncVideoGenerator,
    GLMTaskFailedError,
    ImageGenerator,
    PollPolicy,
    VideoGenerator,
)
from glm_transport.media.generation import image_body, video_body
from glm_transport.testing import LocalGLMServer

from .conftest import Mode

FAST = PollPolicy(timeout=30, initial=0.01, max_interval=0.05)


@pytest.mark.parametrize(
    ("model", "options", "message"),
    [
        ("cogview-4-250304", {"size": "1000x1000"}, "divisible by 16"),
        ("cogview-4-250304", {"size": "2048x2048"}, "more than 2097152 pixels"),
        ("cogview-4", {"size": "256x256"}, "512-2048 px"),
        ("glm-image", {"size": "1024x1040"}, "divisible by 32"),
        ("glm-image", {"size": "800x1024"}, "1024-2048 px"),
        ("cogview-3-flash", {"size": "big"}, "size must look like '1024x1024'"),
        ("cogview-4", {"quality": "ultra"}, "quality must be 'hd' or 'standard'"),
        ("cogview-4", {"user_id": "abc"}, "user_id must be 6 to 128 characters"),
        ("dall-e-3", {}, "'dall-e-3' is not an image model"),
    ],
)
def test_image_options_are_checked_per_model_family(model: str, options: dict[str, str], message: str) -> None:
    with pytest.raises(GLMInvalidRequestError, match=message):
        image_body(model, "a cat", **options)


def test_image_sizes_each_family_allows() -> None:
    assert image_body("cogview-4-250304", "x", size="1440x720", quality="hd")["size"] == "1440x720"
    assert image_body("glm-image", "x", size="2048x2048")["size"] == "2048x2048"  # 2^22 pixels
    with pytest.raises(GLMInvalidRequestError, match="non-empty prompt"):
        image_body("cogview-4", "  ")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"prompt": None}, "needs a prompt, an image_url, or both"),
        ({"prompt": "x" * 513}, "at most 512 characters"),
        ({"quality": "best"}, "'speed' or 'quality'"),
        ({"size": "640x480"}, "video size must be one of 1280x720"),
        ({"fps": 24}, "fps must be 30 or 60"),
        ({"duration": 7}, "duration must be 5 or 10"),
        ({"image_url": ["a"]}, "exactly two"),
        ({"image_url": ["a", "b"], "quality": "quality"}, "speed' only"),
    ],
)
def test_video_options_are_checked_before_sending(options: dict[str, object], message: str) -> None:
    prompt = options.pop("prompt", "waves")
    with pytest.raises(GLMInvalidRequestError, match=message):
        video_body("cogvideox-3", prompt, **options)  # type: ignore[arg-type]


def test_only_cogvideox_models_make_videos() -> None:
    with pytest.raises(GLMInvalidRequestError, match="not a CogVideoX model"):
        video_body("vidu-q1", "waves")
    body = video_body("cogvideox-3", image_url=["https://a/1.png", "https://a/2.png"], fps=60, duration=10)
    assert body["image_url"] == ["https://a/1.png", "https://a/2.png"] and "prompt" not in body


def test_an_image_comes_back_as_its_url(mode: Mode, glm_server: LocalGLMServer) -> None:
    generator = mode.make(ImageGenerator, AsyncImageGenerator, "cogview-4-250304", size="1024x1024")
    image = mode(generator.generate("a lighthouse at dawn", quality="hd"))

    assert image.urls[0].startswith("https://") and image.urls[0].endswith(".png")
    assert image.content_filter == [{"role": "assistant", "level": 3}]
    [request] = glm_server.requests
    assert request.path.endswith("/images/generations")
    assert request.json["size"] == "1024x1024" and request.json["quality"] == "hd"


def test_bad_image_defaults_fail_when_the_generator_is_made(mode: Mode, glm_server: LocalGLMServer) -> None:
    with pytest.raises(GLMInvalidRequestError, match="divisible by 32"):
        mode.make(ImageGenerator, AsyncImageGenerator, "glm-image", size="1100x1100")
    assert glm_server.requests == []


def test_a_blocked_prompt_raises_the_content_filter_error(mode: Mode) -> None:
    generator = mode.make(ImageGenerator, AsyncImageGenerator)
    with pytest.raises(GLMContentFilterError) as caught:
        mode(generator.generate("something unsafe"))
    assert caught.value.code == "1301"


def test_a_video_task_is_polled_to_its_video_and_cover(mode: Mode, glm_server: LocalGLMServer) -> None:
    glm_server.task_polls = 2
    seen = []
    generator = mode.make(VideoGenerator, AsyncVideoGenerator, "cogvideox-3", poll=FAST, duration=5)
    video = mode(generator.generate("waves on a beach", on_progress=seen.append, size="1920x1080"))

    assert video.url.endswith(f"{video.task_id}.mp4")
    assert video.cover_image_url is not None and video.cover_image_url.endswith(".png")
    assert [p.status for p in seen] == ["PROCESSING", "PROCESSING", "SUCCESS"]
    assert [p.polls for p in seen] == [1, 2, 3]
    create, *polls = glm_server.requests
    assert create.json["duration"] == 5 and create.json["size"] == "1920x1080"
    assert {p.path.rsplit("/v4", 1)[1] for p in polls} == {f"/async-result/{video.task_id}"}
    assert {p.method for p in polls} == {"GET"}


def test_a_failed_video_task_raises(mode: Mode) -> None:
    generator = mode.make(VideoGenerator, AsyncVideoGenerator, poll=FAST)
    with pytest.raises(GLMTaskFailedError, match="failed"):
        mode(generator.generate("this one will fail"))


def test_video_polling_stops_at_the_deadline(mode: Mode, glm_server: LocalGLMServer) -> None:
    glm_server.task_polls = 1000
    generator = mode.make(
        VideoGenerator, AsyncVideoGenerator, poll=PollPolicy(timeout=0.2, initial=0.05, max_interval=0.05)
    )
    with pytest.raises(GLMTimeoutError, match="still 'PROCESSING'"):
        mode(generator.generate("waves"))


def test_an_unknown_task_id_is_a_404(glm_server: LocalGLMServer) -> None:
    import httpx

    response = httpx.get(glm_server.base_url + "/async-result/nope", headers={"Authorization": "Bearer test-key"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "1222"
