"""CogView image and CogVideoX video generation (docs/wire-notes.md §13.5) as a LlamaIndex tool spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from pydantic import Field, SecretStr

from glm_transport.media import (
    AsyncImageGenerator,
    AsyncVideoGenerator,
    GeneratedImage,
    GeneratedVideo,
    ImageGenerator,
    PollPolicy,
    TaskProgress,
    VideoGenerator,
)
from glm_transport.media.generation import image_body, video_body

from ._client import GLMConnection

__all__ = ["GLMMediaToolSpec"]


def _image(image: GeneratedImage) -> dict[str, Any]:
    return {"url": image.urls[0], "urls": image.urls, "content_filter": image.content_filter}


def _video(video: GeneratedVideo) -> dict[str, Any]:
    return {"video_url": video.url, "cover_image_url": video.cover_image_url, "task_id": video.task_id}


class GLMMediaToolSpec(GLMConnection, BaseToolSpec):
    """Two tools for agents: ``generate_image`` (CogView) and ``generate_video`` (CogVideoX, a task
    polled until done), each with a sync and a native async function.

    Options are checked for the model family when the spec is made; a prompt GLM's content filter
    blocks raises ``GLMContentFilterError`` (an agent sees it as the tool's error).

    .. code-block:: python

        from llama_index.core.agent.workflow import FunctionAgent
        from llamaindex_glm import GLM, GLMMediaToolSpec

        media = GLMMediaToolSpec(image_size="1024x1024", video_duration=5, on_progress=print)
        agent = FunctionAgent(tools=media.to_tool_list(), llm=GLM(model="glm-4.7"))

    Args:
        image_model / video_model: ``cogview-4-250304`` and ``cogvideox-3`` by default.
        image_size, image_quality: CogView's ``size`` and ``quality`` (``hd`` | ``standard``).
        video_quality, video_size, video_fps, video_duration, video_with_audio: CogVideoX's options.
        poll_timeout, poll_interval: deadline and first wait of video polling, in seconds.
        on_progress: called with ``TaskProgress`` after each poll of a video task.
        timeout, total_timeout, max_retries, use_jwt, default_headers, http_client,
            http_async_client: the connection options every GLM class takes.
    """

    # A ClassVar, not a pydantic field; the base class declares it as a plain attribute.
    spec_functions: ClassVar[list[SPEC_FUNCTION_TYPE]] = [  # type: ignore[misc]
        ("generate_image", "agenerate_image"),
        ("generate_video", "agenerate_video"),
    ]

    image_model: str = "cogview-4-250304"
    image_size: str | None = None
    image_quality: Literal["hd", "standard"] | None = None
    video_model: str = "cogvideox-3"
    video_quality: Literal["speed", "quality"] | None = None
    video_size: str | None = None
    video_fps: Literal[30, 60] | None = None
    video_duration: Literal[5, 10] | None = None
    video_with_audio: bool | None = None
    poll_timeout: float = Field(default=900.0, gt=0)
    poll_interval: float = Field(default=5.0, ge=0)
    on_progress: Callable[[TaskProgress], None] | None = Field(default=None, exclude=True)

    def __init__(self, api_key: str | SecretStr | None = None, /, **data: Any) -> None:
        if api_key is not None:
            data["api_key"] = api_key
        super().__init__(**data)
        image_body(self.image_model, "check", **self._image)  # bad options fail here, not in the agent
        video_body(self.video_model, "check", **self._video)

    @property
    def _image(self) -> dict[str, Any]:
        return {"size": self.image_size, "quality": self.image_quality}

    @property
    def _video(self) -> dict[str, Any]:
        return {
            "quality": self.video_quality,
            "size": self.video_size,
            "fps": self.video_fps,
            "duration": self.video_duration,
            "with_audio": self.video_with_audio,
        }

    @property
    def policy(self) -> PollPolicy:
        return PollPolicy(
            timeout=self.poll_timeout, initial=self.poll_interval, max_interval=max(30.0, self.poll_interval)
        )

    def generate_image(self, prompt: str) -> dict[str, Any]:
        """Generate an image from a text description.

        Args:
            prompt: what the image should show.

        Returns:
            The image URL as ``url`` (all of them as ``urls``).
        """
        return _image(ImageGenerator(self.client, self.image_model, **self._image).generate(prompt))

    async def agenerate_image(self, prompt: str) -> dict[str, Any]:
        """Generate an image from a text description.

        Args:
            prompt: what the image should show.

        Returns:
            The image URL as ``url`` (all of them as ``urls``).
        """
        generator = AsyncImageGenerator(self.async_client, self.image_model, **self._image)
        return _image(await generator.generate(prompt))

    def generate_video(self, prompt: str, image_url: str | None = None) -> dict[str, Any]:
        """Generate a short video from a text description; takes a minute or more.

        Args:
            prompt: what the video should show (at most 512 characters).
            image_url: an image to start the video from.

        Returns:
            ``video_url``, ``cover_image_url`` and ``task_id``.
        """
        generator = VideoGenerator(self.client, self.video_model, poll=self.policy, **self._video)
        return _video(generator.generate(prompt, image_url=image_url, on_progress=self.on_progress))

    async def agenerate_video(self, prompt: str, image_url: str | None = None) -> dict[str, Any]:
        """Generate a short video from a text description; takes a minute or more.

        Args:
            prompt: what the video should show (at most 512 characters).
            image_url: an image to start the video from.

        Returns:
            ``video_url``, ``cover_image_url`` and ``task_id``.
        """
        generator = AsyncVideoGenerator(self.async_client, self.video_model, poll=self.policy, **self._video)
        return _video(await generator.generate(prompt, image_url=image_url, on_progress=self.on_progress))
