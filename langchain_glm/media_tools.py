"""CogView image and CogVideoX video generation (docs/wire-notes.md §13.5) as LangChain tools."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from glm_transport.errors import GLMContentFilterError
from glm_transport.media import (
    AsyncImageGenerator,
    AsyncVideoGenerator,
    GeneratedImage,
    GeneratedVideo,
    GLMTaskFailedError,
    ImageGenerator,
    PollPolicy,
    TaskProgress,
    VideoGenerator,
)
from glm_transport.media.generation import image_body, video_body

from ._client import GLMConnection
from ._errors import mapped_errors

__all__ = ["GLMImageGenerationTool", "GLMVideoGenerationTool"]


@contextmanager
def _tool_errors() -> Iterator[None]:
    """A blocked prompt or a failed task goes back to the model as the tool's answer (it can rephrase);
    every other error is raised as the adapter's error type."""
    try:
        with mapped_errors():
            yield
    except (GLMContentFilterError, GLMTaskFailedError) as exc:
        raise ToolException(str(exc)) from exc


class ImageInput(BaseModel):
    """Arguments of ``GLMImageGenerationTool``."""

    prompt: str = Field(description="What the image should show.")


class VideoInput(BaseModel):
    """Arguments of ``GLMVideoGenerationTool``."""

    prompt: str = Field(description="What the video should show (at most 512 characters).")
    image_url: str | SkipJsonSchema[None] = Field(default=None, description="An image to start the video from.")


def image_dict(image: GeneratedImage) -> dict[str, Any]:
    return {"url": image.urls[0], "urls": image.urls, "content_filter": image.content_filter}


def video_dict(video: GeneratedVideo) -> dict[str, Any]:
    return {"video_url": video.url, "cover_image_url": video.cover_image_url, "task_id": video.task_id}


class GLMImageGenerationTool(GLMConnection, BaseTool):
    """Generate an image with CogView (or ``glm-image``); returns ``{"url", "urls", "content_filter"}``.

    Size and quality are checked for the model family when the tool is made. A prompt GLM's content
    filter blocks comes back to the agent as the tool's error message.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMImageGenerationTool

            draw = GLMImageGenerationTool(model="cogview-4-250304", size="1024x1024", quality="hd")

    Invoke:
        .. code-block:: python

            draw.invoke({"prompt": "a lighthouse at dawn"})["url"]

    With an agent: ``create_agent(ChatGLM(model="glm-4.7"), tools=[draw])``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "generate_image"
    description: str = "Generate an image from a text description. Returns the image URL."
    args_schema: type[BaseModel] = ImageInput
    handle_tool_error: bool = True
    model: str = "cogview-4-250304"
    size: str | None = None
    quality: Literal["hd", "standard"] | None = None
    watermark_enabled: bool | None = None

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        image_body(self.model, "check", **self._options())

    def _options(self) -> dict[str, Any]:
        return {"size": self.size, "quality": self.quality, "watermark_enabled": self.watermark_enabled}

    def _run(self, prompt: str, run_manager: CallbackManagerForToolRun | None = None) -> dict[str, Any]:
        with _tool_errors():
            return image_dict(ImageGenerator(self.client, self.model, **self._options()).generate(prompt))

    async def _arun(self, prompt: str, run_manager: AsyncCallbackManagerForToolRun | None = None) -> dict[str, Any]:
        with _tool_errors():
            generator = AsyncImageGenerator(self.async_client, self.model, **self._options())
            return image_dict(await generator.generate(prompt))


class GLMVideoGenerationTool(GLMConnection, BaseTool):
    """Generate a video with CogVideoX: submits the task and polls it until it is done (or
    ``poll_timeout`` passes); returns ``{"video_url", "cover_image_url", "task_id"}``.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMVideoGenerationTool

            film = GLMVideoGenerationTool(model="cogvideox-3", duration=5, on_progress=print)

    Invoke:
        .. code-block:: python

            film.invoke({"prompt": "waves on a beach"})["video_url"]
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "generate_video"
    description: str = (
        "Generate a short video from a text description (and optionally a starting image URL). "
        "Returns the video URL and a cover image URL. Takes a minute or more."
    )
    args_schema: type[BaseModel] = VideoInput
    handle_tool_error: bool = True
    model: str = "cogvideox-3"
    quality: Literal["speed", "quality"] | None = None
    size: str | None = None
    fps: Literal[30, 60] | None = None
    duration: Literal[5, 10] | None = None
    with_audio: bool | None = None
    poll_timeout: float = Field(default=900.0, gt=0)
    poll_interval: float = Field(default=5.0, ge=0)
    on_progress: Callable[[TaskProgress], None] | None = Field(default=None, exclude=True)

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        video_body(self.model, "check", **self._options())

    def _options(self) -> dict[str, Any]:
        return {
            "quality": self.quality,
            "size": self.size,
            "fps": self.fps,
            "duration": self.duration,
            "with_audio": self.with_audio,
        }

    def _policy(self) -> PollPolicy:
        return PollPolicy(
            timeout=self.poll_timeout, initial=self.poll_interval, max_interval=max(30.0, self.poll_interval)
        )

    def _run(
        self, prompt: str, image_url: str | None = None, run_manager: CallbackManagerForToolRun | None = None
    ) -> dict[str, Any]:
        generator = VideoGenerator(self.client, self.model, poll=self._policy(), **self._options())
        with _tool_errors():
            return video_dict(generator.generate(prompt, image_url=image_url, on_progress=self.on_progress))

    async def _arun(
        self, prompt: str, image_url: str | None = None, run_manager: AsyncCallbackManagerForToolRun | None = None
    ) -> dict[str, Any]:
        generator = AsyncVideoGenerator(self.async_client, self.model, poll=self._policy(), **self._options())
        with _tool_errors():
            return video_dict(await generator.generate(prompt, image_url=image_url, on_progress=self.on_progress))
