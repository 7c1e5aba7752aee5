"""The LangChain part of the demo: a streamed chain (prompt | ChatGLM | parser) and an agent that
runs a tool loop. Reads ZHIPUAI_API_KEY / ZHIPUAI_BASE_URL like any user code; examples/demo.py
points them at the bundled local server when no key is set."""

from __future__ import annotations

import os

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool

from glm_transport.testing.documents import sample_pdf
from langchain_glm import ChatGLM, GLMFileParserLoader

CHAT_MODEL = os.environ.get("GLM_DEMO_MODEL", "glm-4.7")


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny and 21 C in {city}"


def chain_demo(llm: ChatGLM) -> None:
    print("--- chain: prompt | ChatGLM | StrOutputParser, streamed")
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are concise."), ("human", "Give one fun fact about {animal}.")]
    )
    chain = prompt | llm | StrOutputParser()
    print("answer: ", end="", flush=True)
    for piece in chain.stream({"animal": "otters"}):
        print(piece, end="", flush=True)
    print()


def agent_demo(llm: ChatGLM) -> None:
    print("--- agent: langchain.agents.create_agent with a get_weather tool")
    agent = create_agent(llm, [get_weather], system_prompt="Use the tools when they help.")
    result = agent.invoke({"messages": [("human", "What's the weather in Paris?")]})
    for message in result["messages"][1:]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"  model calls {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            print(f"  tool returns {message.text!r}")
        else:
            print(f"  final answer: {message.text}")
    final = result["messages"][-1]
    usage = final.usage_metadata or {}
    reasoning = usage.get("output_token_details", {}).get("reasoning", 0)
    print(f"  last call: {usage.get('total_tokens', 0)} tokens ({reasoning} reasoning)")


def document_demo(llm: ChatGLM) -> None:
    print("--- parsed document: GLMFileParserLoader (GLM's file parser) -> ChatGLM answers from it")
    pdf = sample_pdf(["The Aurora X2 heat pump carries a warranty of 24 months."])  # a small PDF, made here
    loader = GLMFileParserLoader(("handbook.pdf", pdf), tier="prime-sync")
    try:
        [document] = loader.load()
    finally:
        loader.close()
    print(f"  parsed {document.metadata['file_name']}: {document.page_content!r}")
    answer = llm.invoke(f"Context: {document.page_content}\n\nHow long is the Aurora X2 warranty?")
    print(f"  answer: {answer.text}")


def main() -> None:
    print("=== LangChain (langchain_glm.ChatGLM)")
    llm = ChatGLM(model=CHAT_MODEL, max_tokens=1024)
    try:
        chain_demo(llm)
        agent_demo(llm)
        document_demo(llm)
    finally:
        llm.close()


if __name__ == "__main__":
    main()
