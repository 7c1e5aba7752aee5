"""Image and video generation as agent tools: the LangChain tools (direct and in ``create_agent``) and
the LlamaIndex ``GLMMediaToolSpec`` (direct and in ``FunctionAgent``), sync and async."""

from __future__ import annotations

import json

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import ToolException
from llama_index.core.agent.workflow import AgentOutput, FunctionAgent, ToolCallResult

from glm_transport import GLMContentFilterError, GLMInvalidRequestError
from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM, GLMImageGenerationTool, GLMVideoGenerationTool
from llamaindex_glm import GLM, GLMMediaToolSpec
from tests.unit.rag.support import Runner, bodies


def test_the_image_tool_returns_the_url(run: Runner, glm_env: LocalGLMServer) -> None:
    draw = run.own(GLMImageGenerationTool(size="1024x1024", quality="hd"))
    result = run(draw.invoke, {"prompt": "a lighthouse at dawn"})

    assert result["url"].endswith(".png") and result["urls"] == [result["url"]]
    [body] = bodies(glm_env, "/images/generations")
    expected = {"model": "cogview-4-250304", "prompt": "a lighthouse at dawn", "size": "1024x1024", "quality": "hd"}
    assert body == {**body, **expected}


def test_the_video_tool_polls_to_the_video_and_reports_progress(run: Runner, glm_env: LocalGLMServer) -> None:
    progress: list[object] = []
    film = run.own(GLMVideoGenerationTool(duration=5, poll_interval=0.01, on_progress=progress.append))
    result = run(film.invoke, {"prompt": "waves on a beach"})

    assert result["video_url"].endswith(f"{result['task_id']}.mp4") and result["cover_image_url"].endswith(".png")
    assert [p.status for p in progress] == ["PROCESSING", "SUCCESS"]  # type: ignore[attr-defined]


def test_a_blocked_prompt_goes_back_to_the_model_as_the_tool_result(run: Runner, glm_env: LocalGLMServer) -> None:
    draw = run.own(GLMImageGenerationTool())
    assert "GLM code 1301" in run(draw.invoke, {"prompt": "something unsafe"})
    draw.handle_tool_error = False
    with pytest.raises(ToolException) as caught:
        run(draw.invoke, {"prompt": "something unsafe"})
    assert isinstance(caught.value.__cause__, GLMContentFilterError)


def test_bad_tool_options_fail_when_the_tool_is_made(glm_env: LocalGLMServer) -> None:
    with pytest.raises(GLMInvalidRequestError, match="divisible by 16"):
        GLMImageGenerationTool(size="1000x1000")
    with pytest.raises(GLMInvalidRequestError, match="not a CogVideoX model"):
        GLMVideoGenerationTool(model="cogview-4")
    with pytest.raises(GLMInvalidRequestError, match="video size must be one of"):
        GLMMediaToolSpec(video_size="640x480")


def test_create_agent_draws_with_the_image_tool(run: Runner, glm_env: LocalGLMServer) -> None:
    agent = create_agent(run.own(ChatGLM(model="glm-4.7")), tools=[run.own(GLMImageGenerationTool())])
    result = run(agent.invoke, {"messages": [{"role": "user", "content": "Draw a red bicycle"}]})

    messages = result["messages"]
    call = next(m for m in messages if isinstance(m, AIMessage) and m.tool_calls).tool_calls[0]
    assert call["name"] == "generate_image"
    url = json.loads(next(m for m in messages if isinstance(m, ToolMessage)).content)["url"]
    assert url in messages[-1].content  # the model's summary of the tool result


def test_the_tool_spec_generates_both_kinds(run: Runner, glm_env: LocalGLMServer) -> None:
    spec = run.own(GLMMediaToolSpec(poll_interval=0.01, image_size="1152x864"))
    image = run(spec.generate_image, "a lighthouse")
    video = run(spec.generate_video, "waves", image_url=image["url"])

    assert image["url"].endswith(".png") and video["video_url"].endswith(".mp4")
    assert bodies(glm_env, "/videos/generations")[0]["image_url"] == image["url"]
    assert [t.metadata.name for t in spec.to_tool_list()] == ["generate_image", "generate_video"]


async def test_function_agent_draws_with_the_tool_spec(glm_env: LocalGLMServer) -> None:
    spec, llm = GLMMediaToolSpec(poll_interval=0.01), GLM(model="glm-4.7")
    try:
        agent = FunctionAgent(tools=spec.to_tool_list(), llm=llm)
        handler = agent.run(user_msg="Please call generate_image for a red bicycle")
        results = [event async for event in handler.stream_events() if isinstance(event, ToolCallResult)]
        output = await handler
    finally:
        await spec.aclose()
        await llm.aclose()
        llm.close()
    [result] = results
    assert result.tool_name == "generate_image"
    assert isinstance(output, AgentOutput)
    assert result.tool_output.raw_output["url"] in str(output.response.content)
    assert spec._clients._sync is None  # the agent used the native async function
