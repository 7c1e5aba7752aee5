"""The demo: a round trip through glm_transport, then the LangChain and LlamaIndex demos.

Uses the live GLM API when ZHIPUAI_API_KEY (or ZAI_API_KEY) is set; otherwise starts the bundled
local GLM-compatible server and says so: its answers are scripted, but every request is a real
HTTP round trip (streaming, tool calls, embeddings) through the same code.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_langchain
import demo_llamaindex

from glm_transport import GLMClient, StreamAccumulator
from glm_transport.testing import LocalGLMServer

CHAT_MODEL = os.environ.get("GLM_DEMO_MODEL", "glm-4.7")


@contextlib.contextmanager
def glm_endpoint() -> Iterator[None]:
    if os.environ.get("ZHIPUAI_API_KEY") or os.environ.get("ZAI_API_KEY"):
        print(f"Using the live GLM API ({os.environ.get('ZHIPUAI_BASE_URL', 'China endpoint by default')}).")
        yield
        return
    with LocalGLMServer(api_key="demo-key") as server:
        os.environ["ZHIPUAI_API_KEY"] = "demo-key"
        os.environ["ZHIPUAI_BASE_URL"] = server.base_url
        print("No ZHIPUAI_API_KEY or ZAI_API_KEY set: running against the bundled local GLM server at")
        print(f"  {server.base_url}")
        print("Its answers are SCRIPTED by that server (deterministic, not a real model), but every call")
        print("below is a real HTTP round trip through this package: SSE streaming, tool calls, embeddings.\n")
        try:
            yield
        finally:
            del os.environ["ZHIPUAI_API_KEY"], os.environ["ZHIPUAI_BASE_URL"]


def transport_demo() -> None:
    print("=== glm_transport")
    with GLMClient() as client:
        acc = StreamAccumulator()
        print("streamed answer: ", end="", flush=True)
        for chunk in client.stream_chat({"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Say hello."}]}):
            acc.feed(chunk)
            print(chunk.content or "", end="", flush=True)
        final = acc.finish()
        print(f"\n  reasoning: {final.message.reasoning_content!r}")
        usage = final.usage
        if usage:
            print(f"  usage: {usage.prompt_tokens} in / {usage.completion_tokens} out, {usage.cached_tokens} cached")
        tool = {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            },
        }
        answer = client.chat(
            {
                "model": CHAT_MODEL,
                "messages": [{"role": "user", "content": "What's the weather in Paris?"}],
                "tools": [tool],
            }
        )
        for call in answer.message.tool_calls or []:
            if call.function:
                print(f"tool call: {call.function.name}({call.function.arguments})")
        [vector] = client.embed(["GLM embeddings"], dimensions=256)
        norm = sum(v * v for v in vector) ** 0.5
        print(f"embedding: {len(vector)} dimensions, L2 norm {norm:.3f}\n")


def main() -> None:
    with glm_endpoint():
        transport_demo()
        demo_langchain.main()
        print()
        demo_llamaindex.main()


if __name__ == "__main__":
    main()
