"""Property tests: random valid LangChain and LlamaIndex message lists survive the adapters' wire
conversion. Out: the adapter's request converter, checked by the transport's request validation.
Back: the adapter's own response converters, non-streaming (a ``ChatCompletion``) and streaming
(the assistant turn split into random SSE deltas, parsed by the transport). Roles, text (any
unicode), tool-call ids, names and arguments must come back unchanged.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, TextBlock, ToolCallBlock

from glm_transport import ChatStreamParser, get_model_info
from glm_transport.dialect import build_chat_request
from glm_transport.types import ChatCompletion
from glm_transport.validation import normalize_chat_request
from langchain_glm._convert import StreamConverter, to_chat_result
from langchain_glm._convert import to_wire_messages as lc_to_wire
from llamaindex_glm._convert import StreamState, completion_to_response
from llamaindex_glm._convert import to_wire_messages as li_to_wire

ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INFO = get_model_info("glm-4.7")
# glm-4.7 answers with its reasoning apart, so its content is taken literally (``<think>`` included).
RULES = build_chat_request({"model": "glm-4.7"}, [{"role": "user", "content": "x"}], stream=False)[1]

# Any unicode but surrogates; the assistant's text may not start with "\n", which both adapters
# drop from GLM's answers on purpose (GLM starts most answers with one, wire notes §4).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
USER_TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)  # GLM rejects "" (1214)
ANSWER = TEXT.filter(lambda t: not t.startswith("\n"))
NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,20}", fullmatch=True)
CALL_ID = st.from_regex(r"call_[0-9]{1,19}", fullmatch=True)
JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
ARGS = st.dictionaries(TEXT, JSON_VALUE, max_size=4)
CALLS = st.lists(st.tuples(CALL_ID, NAME, ARGS), max_size=3, unique_by=lambda call: call[0])


def turns() -> st.SearchStrategy[list[tuple[str, Any]]]:
    """A conversation: an optional system prompt, then user turns and assistant turns; an
    assistant turn with tool calls is followed by one result per call."""
    user = st.tuples(st.just("user"), USER_TEXT)
    assistant = st.tuples(st.just("assistant"), st.tuples(ANSWER, CALLS))
    body = st.lists(st.one_of(user, assistant), min_size=1, max_size=5)
    system = st.lists(st.tuples(st.just("system"), TEXT), max_size=1)
    return st.tuples(system, user, body).map(lambda parts: [*parts[0], parts[1], *parts[2]])


def chunk_splits(data: st.DataObject, text: str) -> list[str]:
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=4))))
    edges = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(edges) if b > a]


def completion(wire: dict[str, Any]) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {"id": "task", "created": 0, "model": "glm-4.7", "choices": [{"index": 0, "message": wire}]}
    )


def sse(wire: dict[str, Any], data: st.DataObject) -> list[Any]:
    """The assistant message as a stream split at random points, parsed by the transport."""
    deltas: list[dict[str, Any]] = [{"content": piece} for piece in chunk_splits(data, wire.get("content") or "")]
    for index, call in enumerate(wire.get("tool_calls") or ()):
        function = call["function"]
        deltas.append({"tool_calls": [{"index": index, "id": call["id"], "type": "function", "function": {
            "name": function["name"], "arguments": ""}}]})  # fmt: skip
        deltas += [
            {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
            for piece in chunk_splits(data, function["arguments"])
        ]
    events = [{"id": "task", "model": "glm-4.7", "choices": [{"index": 0, "delta": d}]} for d in deltas]
    events.append({"id": "task", "model": "glm-4.7", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = b"".join(b"data: " + json.dumps(e, ensure_ascii=False).encode() + b"\n\n" for e in events)
    parser = ChatStreamParser()
    chunks = parser.feed(body + b"data: [DONE]\n\n")
    parser.finish()
    return chunks


# ---------------------------------------------------------------- LangChain


def lc_messages(conversation: list[tuple[str, Any]]) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for role, value in conversation:
        if role == "system":
            out.append(SystemMessage(value))
        elif role == "user":
            out.append(HumanMessage(value))
        else:
            text, calls = value
            out.append(AIMessage(text, tool_calls=[{"id": i, "name": n, "args": a} for i, n, a in calls]))
            out += [ToolMessage(f"result of {n}", tool_call_id=i) for i, n, _ in calls]
    return out


def lc_summary(message: BaseMessage) -> tuple[Any, ...]:
    calls = [(c["id"], c["name"], c["args"]) for c in getattr(message, "tool_calls", [])]
    return type(message).__name__.replace("Chunk", ""), message.content, calls, getattr(message, "tool_call_id", None)


def lc_back(wire: dict[str, Any], data: st.DataObject) -> list[BaseMessage]:
    """A wire message as LangChain: user/system/tool directly; assistant through the adapter's
    response converters, whole and streamed (both must agree)."""
    if wire["role"] == "user":
        return [HumanMessage(wire["content"])]
    if wire["role"] == "system":
        return [SystemMessage(wire["content"])]
    if wire["role"] == "tool":
        return [ToolMessage(wire["content"], tool_call_id=wire["tool_call_id"])]
    whole = to_chat_result(completion(wire), RULES).generations[0].message
    converter = StreamConverter("rid", RULES)
    parts = [out.message for out in map(converter.convert, sse(wire, data)) if out is not None]
    streamed = sum(parts, AIMessageChunk(content="")) + converter.finish().message
    return [whole, streamed]


@ROUND_TRIP
@given(turns(), st.data())
def test_langchain_messages_round_trip_through_the_wire(conversation: list[tuple[str, Any]], data: Any) -> None:
    messages = lc_messages(conversation)
    wire = lc_to_wire(messages, INFO)
    normalize_chat_request({"model": "glm-4.7", "messages": wire}, stream=False)  # a valid request
    assert len(wire) == len(messages)
    for original, sent in zip(messages, wire, strict=True):
        for back in lc_back(sent, data):
            assert lc_summary(back) == lc_summary(original)


# ---------------------------------------------------------------- LlamaIndex


def li_messages(conversation: list[tuple[str, Any]]) -> list[ChatMessage]:
    out: list[ChatMessage] = []
    for role, value in conversation:
        if role != "assistant":
            out.append(ChatMessage(role=role, content=value))
            continue
        text, calls = value
        blocks: list[Any] = [TextBlock(text=text)] if text or not calls else []
        blocks += [ToolCallBlock(tool_call_id=i, tool_name=n, tool_kwargs=a) for i, n, a in calls]
        out.append(ChatMessage(role="assistant", blocks=blocks))
        out += [
            ChatMessage(role="tool", content=f"result of {n}", additional_kwargs={"tool_call_id": i})
            for i, n, _ in calls
        ]
    return out


def li_summary(message: ChatMessage) -> tuple[Any, ...]:
    calls = [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in message.blocks if isinstance(b, ToolCallBlock)]
    return message.role.value, message.content or "", calls, message.additional_kwargs.get("tool_call_id")


def li_back(wire: dict[str, Any], data: st.DataObject) -> list[ChatMessage]:
    if wire["role"] != "assistant":
        extra = {"tool_call_id": wire["tool_call_id"]} if wire["role"] == "tool" else {}
        return [ChatMessage(role=wire["role"], content=wire["content"], additional_kwargs=extra)]
    whole = completion_to_response(completion(wire), RULES).message
    state = StreamState("rid", RULES)
    last: ChatResponse | None = None
    for chunk in sse(wire, data):
        last = state.feed(chunk)
    assert last is not None
    return [whole, last.message]


@ROUND_TRIP
@given(turns(), st.data())
def test_llamaindex_messages_round_trip_through_the_wire(conversation: list[tuple[str, Any]], data: Any) -> None:
    messages = li_messages(conversation)
    wire = li_to_wire(messages, INFO)
    normalize_chat_request({"model": "glm-4.7", "messages": wire}, stream=False)
    assert len(wire) == len(messages)
    for original, sent in zip(messages, wire, strict=True):
        for back in li_back(sent, data):
            assert li_summary(back)[:3] == li_summary(original)[:3]
            if original.role.value == "tool":
                assert li_summary(back)[3] == li_summary(original)[3]
