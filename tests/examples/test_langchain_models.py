"""LangChain's "Models" page (https://docs.langchain.com/oss/python/langchain/models), run as published
with ``init_chat_model(...)`` swapped for ``ChatGLM(model="glm-4.7")``: invoke, conversation, stream,
batch, tool calling (bind, inspect, execute-and-return loop, streamed tool calls) and structured output.
The key and endpoint come from the environment, pointed at the bundled local server."""

from __future__ import annotations

import pytest
from langchain.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain.tools import tool
from pydantic import BaseModel, Field

from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM

from .conftest import chat_bodies, sent_text

pytestmark = pytest.mark.usefixtures("glm_env")


@pytest.fixture
def model() -> ChatGLM:
    return ChatGLM(model="glm-4.7")


# ---- "Invoke" / "Stream" / "Batch" ----------------------------------------------------------------------
def test_invoke_stream_and_batch_as_published(model: ChatGLM) -> None:
    # Source: docs.langchain.com/oss/python/langchain/models#invoke
    response = model.invoke("Why do parrots have colorful feathers?")
    print(response)

    conversation = [
        {"role": "system", "content": "You are a helpful assistant that translates English to French."},
        {"role": "user", "content": "Translate: I love programming."},
        {"role": "assistant", "content": "J'adore la programmation."},
        {"role": "user", "content": "Translate: I love building applications."},
    ]
    answer = model.invoke(conversation)

    # Source: docs.langchain.com/oss/python/langchain/models#stream
    pieces = []
    for chunk in model.stream("Why do parrots have colorful feathers?"):
        print(chunk.text, end="|", flush=True)
        pieces.append(chunk)

    full = None  # None | AIMessageChunk
    for chunk in model.stream("What color is the sky?"):
        full = chunk if full is None else full + chunk
        print(full.text)

    # Source: docs.langchain.com/oss/python/langchain/models#batch
    responses = model.batch(
        [
            "Why do parrots have colorful feathers?",
            "How do airplanes fly?",
            "What is quantum computing?",
        ]
    )
    for batch_response in responses:
        print(batch_response)

    assert isinstance(response, AIMessage)
    assert "parrots have colorful feathers" in response.text
    assert response.usage_metadata is not None and response.usage_metadata["output_tokens"] > 0
    assert "I love building applications" in answer.text  # the last user turn is the one answered
    assert sum(1 for p in pieces if p.text) > 1  # streamed in several pieces ...
    assert "".join(p.text for p in pieces) == response.text  # ... that join to the invoke answer
    assert isinstance(full, AIMessageChunk)
    assert "What color is the sky" in full.text
    assert full.usage_metadata is not None and full.usage_metadata["total_tokens"] > 0
    assert [r.text for r in responses] == [
        model.invoke(q).text
        for q in ("Why do parrots have colorful feathers?", "How do airplanes fly?", "What is quantum computing?")
    ]


async def test_async_invoke_stream_and_batch(model: ChatGLM) -> None:
    # The async forms the same page lists: ainvoke, astream, abatch.
    response = await model.ainvoke("Why do parrots have colorful feathers?")
    full = None
    count = 0
    async for chunk in model.astream("Why do parrots have colorful feathers?"):
        full = chunk if full is None else full + chunk
        count += 1 if chunk.text else 0
    responses = await model.abatch(["How do airplanes fly?", "What is quantum computing?"])

    assert full is not None and count > 1
    assert full.text == response.text
    assert full.usage_metadata == response.usage_metadata
    assert ["airplanes fly" in responses[0].text, "quantum computing" in responses[1].text] == [True, True]


# ---- "Tool calling" -------------------------------------------------------------------------------------
@tool
def get_weather(location: str) -> str:
    """Get the weather at a location."""
    return f"It's sunny in {location}."


def test_bind_tools_and_read_the_calls(model: ChatGLM) -> None:
    # Source: docs.langchain.com/oss/python/langchain/models#tool-calling
    model_with_tools = model.bind_tools([get_weather])

    response = model_with_tools.invoke("What's the weather like in Boston?")
    for tool_call in response.tool_calls:
        # View tool calls made by the model
        print(f"Tool: {tool_call['name']}")
        print(f"Args: {tool_call['args']}")

    assert [(c["name"], c["args"]) for c in response.tool_calls] == [("get_weather", {"location": "Boston"})]
    assert response.tool_calls[0]["id"]
    assert response.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_tool_execution_loop(model: ChatGLM, glm_server: LocalGLMServer, mode: str) -> None:
    # Source: docs.langchain.com/oss/python/langchain/models#tool-execution-loop
    # Bind (potentially multiple) tools to the model
    model_with_tools = model.bind_tools([get_weather])

    # Step 1: Model generates tool calls
    messages: list = [{"role": "user", "content": "What's the weather in Boston?"}]
    ai_msg = model_with_tools.invoke(messages) if mode == "sync" else await model_with_tools.ainvoke(messages)
    messages.append(ai_msg)

    # Step 2: Execute tools and collect results
    for tool_call in ai_msg.tool_calls:
        # Execute the tool with the generated arguments
        tool_result = get_weather.invoke(tool_call)
        messages.append(tool_result)

    # Step 3: Pass results back to model for final response
    if mode == "sync":
        final_response = model_with_tools.invoke(messages)
    else:
        final_response = await model_with_tools.ainvoke(messages)
    print(final_response.text)

    assert isinstance(messages[-1], ToolMessage)
    assert messages[-1].content == "It's sunny in Boston."
    assert messages[-1].tool_call_id == ai_msg.tool_calls[0]["id"]
    assert "get_weather" in final_response.text and "It's sunny in Boston" in final_response.text
    second = chat_bodies(glm_server)[-1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "tool"]
    assert second[1]["tool_calls"][0]["id"] == second[2]["tool_call_id"] == ai_msg.tool_calls[0]["id"]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_streamed_tool_calls_gather_to_the_invoked_ones(model: ChatGLM, mode: str) -> None:
    # Source: docs.langchain.com/oss/python/langchain/models#streaming-tool-calls
    model_with_tools = model.bind_tools([get_weather])
    chunks = []
    if mode == "sync":
        for chunk in model_with_tools.stream("What's the weather in Boston?"):
            # Tool call chunks arrive progressively
            for tool_chunk in chunk.tool_call_chunks:
                if name := tool_chunk.get("name"):
                    print(f"Tool: {name}")
                if args := tool_chunk.get("args"):
                    print(f"Args: {args}")
            chunks.append(chunk)
    else:
        async for chunk in model_with_tools.astream("What's the weather in Boston?"):
            chunks.append(chunk)

    gathered = None
    for chunk in chunks:
        gathered = chunk if gathered is None else gathered + chunk
        print(gathered.tool_calls)

    assert gathered is not None
    invoked = model_with_tools.invoke("What's the weather in Boston?")
    assert gathered.tool_calls == invoked.tool_calls
    assert [c["args"] for c in gathered.tool_calls] == [{"location": "Boston"}]


# ---- "Structured output" --------------------------------------------------------------------------------
class Movie(BaseModel):
    """A movie with details."""

    title: str = Field(..., description="The title of the movie")
    year: int = Field(..., description="The year the movie was released")
    director: str = Field(..., description="The director of the movie")
    rating: float = Field(..., description="The movie's rating out of 10")


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_structured_output_with_pydantic(model: ChatGLM, glm_server: LocalGLMServer, mode: str) -> None:
    # Source: docs.langchain.com/oss/python/langchain/models#structured-output (Pydantic tab)
    model_with_structure = model.with_structured_output(Movie)
    prompt = "Provide details about the movie Inception"
    if mode == "sync":
        response = model_with_structure.invoke(prompt)
    else:
        response = await model_with_structure.ainvoke(prompt)
    print(response)  # Movie(title="Inception", year=2010, director="Christopher Nolan", rating=8.8)

    assert isinstance(response, Movie)
    assert response.title == "Inception"  # the model filled the schema from the question
    assert set(Movie.model_fields) <= set(response.model_dump())
    assert "Inception" in sent_text(chat_bodies(glm_server)[-1])


def test_structured_output_include_raw(model: ChatGLM) -> None:
    # Source: docs.langchain.com/oss/python/langchain/models#structured-output ("Message output alongside
    # parsed structure")
    model_with_structure = model.with_structured_output(Movie, include_raw=True)
    response = model_with_structure.invoke("Provide details about the movie Inception")
    print(response)

    assert set(response) == {"raw", "parsed", "parsing_error"}
    assert response["parsing_error"] is None
    assert isinstance(response["parsed"], Movie) and response["parsed"].title == "Inception"
    assert isinstance(response["raw"], AIMessage)
    assert response["raw"].usage_metadata is not None and response["raw"].usage_metadata["total_tokens"] > 0


def test_structured_output_with_json_schema(model: ChatGLM) -> None:
    # Source: docs.langchain.com/oss/python/langchain/models#structured-output (JSON Schema tab)
    json_schema = {
        "title": "Movie",
        "description": "A movie with details",
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "The title of the movie"},
            "year": {"type": "integer", "description": "The year the movie was released"},
            "director": {"type": "string", "description": "The director of the movie"},
            "rating": {"type": "number", "description": "The movie's rating out of 10"},
        },
        "required": ["title", "year", "director", "rating"],
    }

    model_with_structure = model.with_structured_output(json_schema, method="json_schema")
    response = model_with_structure.invoke("Provide details about the movie Inception")
    print(response)  # {'title': 'Inception', 'year': 2010, ...}

    assert isinstance(response, dict)
    assert set(response) == {"title", "year", "director", "rating"}
    assert response["title"] == "Inception" and isinstance(response["year"], int)


# ---- "Reasoning" ----------------------------------------------------------------------------------------
def test_reasoning_blocks_in_invoke_and_stream(model: ChatGLM) -> None:
    # Source: docs.langchain.com/oss/python/langchain/models#reasoning (glm-4.7 thinks by default)
    reasoning_seen = []
    text_seen = []
    for chunk in model.stream("Why do parrots have colorful feathers?"):
        reasoning_steps = [r for r in chunk.content_blocks if r["type"] == "reasoning"]
        print(reasoning_steps if reasoning_steps else chunk.text)
        reasoning_seen.extend(step["reasoning"] for step in reasoning_steps)
        text_seen.append(chunk.text)

    response = model.invoke("Why do parrots have colorful feathers?")
    reasoning_steps = [b for b in response.content_blocks if b["type"] == "reasoning"]
    print(" ".join(step["reasoning"] for step in reasoning_steps))

    assert len(reasoning_steps) == 1 and reasoning_steps[0]["reasoning"]
    assert "".join(reasoning_seen) == reasoning_steps[0]["reasoning"]  # streamed reasoning = invoked reasoning
    assert "".join(text_seen) == response.text
    assert reasoning_steps[0]["reasoning"] not in response.text  # reasoning is kept out of the answer
    assert response.usage_metadata is not None
    assert response.usage_metadata.get("output_token_details", {}).get("reasoning", 0) > 0


# ---- The ZhipuAI integration page, moved to ChatGLM --------------------------------------------------------
async def test_zhipuai_integration_page_program(capsys: pytest.CaptureFixture[str], glm_server: LocalGLMServer) -> None:
    # Source: python.langchain.com/docs/integrations/chat/zhipuai (ChatZhipuAI -> ChatGLM). The page's
    # ``callback_manager=CallbackManager([...])`` is no longer a langchain-core 1.x field: ChatGLM refuses it and
    # names ``callbacks``, the spelling used below; ``streaming_chat(messages)`` is ``.invoke`` in 1.x.
    from langchain_core.callbacks.manager import CallbackManager
    from langchain_core.callbacks.streaming_stdout import StreamingStdOutCallbackHandler
    from langchain_core.messages import HumanMessage, SystemMessage

    from glm_transport.errors import GLMConfigurationError

    chat = ChatGLM(model="glm-4", temperature=0.5)
    messages = [
        AIMessage(content="Hi."),
        SystemMessage(content="Your role is a poet."),
        HumanMessage(content="Write a short poem about AI in four lines."),
    ]
    response = chat.invoke(messages)
    print(response.content)  # Displays the AI-generated poem

    with pytest.raises(GLMConfigurationError, match="'callback_manager'.*did you mean 'callbacks'"):
        ChatGLM(model="glm-4", streaming=True, callback_manager=CallbackManager([StreamingStdOutCallbackHandler()]))
    streaming_chat = ChatGLM(
        model="glm-4",
        temperature=0.5,
        streaming=True,
        callbacks=[StreamingStdOutCallbackHandler()],
    )
    capsys.readouterr()
    streamed = streaming_chat.invoke(messages)
    printed = capsys.readouterr().out
    assert chat_bodies(glm_server)[-1]["stream"] is True

    async_chat = ChatGLM(model="glm-4", temperature=0.5)
    result = await async_chat.agenerate([messages])
    print(result)

    assert "Write a short poem about AI in four lines." in response.text
    assert printed == streamed.text == response.text  # the handler printed every streamed token
    assert result.generations[0][0].text == response.text


# ---- "Token usage" --------------------------------------------------------------------------------------
def test_token_usage_callbacks() -> None:
    # Source: docs.langchain.com/oss/python/langchain/models#token-usage (callback handler and context manager)
    from langchain_core.callbacks import UsageMetadataCallbackHandler, get_usage_metadata_callback

    model_1 = ChatGLM(model="glm-4.7")
    model_2 = ChatGLM(model="glm-4.5-air")

    callback = UsageMetadataCallbackHandler()
    result_1 = model_1.invoke("Hello", config={"callbacks": [callback]})
    result_2 = model_2.invoke("Hello", config={"callbacks": [callback]})
    print(callback.usage_metadata)

    with get_usage_metadata_callback() as cb:
        model_1.invoke("Hello")
        for _chunk in model_2.stream("Hello"):
            pass
        print(cb.usage_metadata)

    assert set(callback.usage_metadata) == {"glm-4.7", "glm-4.5-air"}  # keyed by the model that answered
    assert callback.usage_metadata["glm-4.7"] == result_1.usage_metadata
    assert callback.usage_metadata["glm-4.5-air"] == result_2.usage_metadata
    assert cb.usage_metadata == callback.usage_metadata  # a streamed answer reports the same usage
