"""Documents in chat: LangChain file blocks and LlamaIndex ``DocumentBlock``s become the same GLM part
(one rule, in the transport), the model takes what it accepts, and a refusal says what to do instead."""

from __future__ import annotations

import base64

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage, DocumentBlock, TextBlock

from glm_transport import GLMInvalidRequestError, get_model_info
from glm_transport.media import document_part
from glm_transport.testing import LocalGLMServer
from glm_transport.testing.documents import sample_pdf
from langchain_glm import ChatGLM
from llamaindex_glm import GLM
from tests.unit.rag.support import Runner, bodies

PDF = sample_pdf(["The warranty lasts 24 months from delivery."])
B64 = base64.b64encode(PDF).decode()
URL = "https://example.com/warranty.pdf"


def test_a_file_model_takes_url_data_and_file_ids() -> None:
    info = get_model_info("glm-5.3-flash")
    assert document_part(info, url=URL) == {"type": "file", "file": {"file_url": URL}}
    assert document_part(info, file_id="file-1", filename="w.pdf") == {
        "type": "file",
        "file": {"file_id": "file-1", "filename": "w.pdf"},
    }
    expected = {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{B64}"}}
    assert document_part(info, data=PDF, mime_type="application/pdf") == expected
    assert document_part(info, data=B64, mime_type="application/pdf") == expected
    assert document_part(info, data=f"data:application/pdf;base64,{B64}") == expected


def test_a_url_model_takes_urls_and_says_what_to_do_with_data() -> None:
    info = get_model_info("glm-4.6v")
    assert document_part(info, url=URL) == {"type": "file_url", "file_url": {"url": URL}}
    for source in ({"data": PDF, "mime_type": "application/pdf"}, {"file_id": "file-1"}):
        with pytest.raises(GLMInvalidRequestError) as caught:
            document_part(info, **source)  # type: ignore[arg-type]
        message = str(caught.value)
        assert "takes documents by URL only" in message
        assert "put the document at an http(s) URL" in message and "parse it first" in message
        assert "'glm-5.3-flash'" in message


def test_a_text_model_is_told_to_parse_first() -> None:
    with pytest.raises(GLMInvalidRequestError, match="'glm-4.7' cannot read documents: parse it first"):
        document_part(get_model_info("glm-4.7"), url=URL)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({}, "exactly one of a URL, data or a file id; got none"),
        ({"url": URL, "file_id": "f"}, "got url, file_id"),
        ({"url": "ftp://x/y.pdf"}, "must start with http:// or https://"),
        ({"data": PDF}, "needs a MIME type"),
        ({"data": "not base64!", "mime_type": "application/pdf"}, "must be base64"),
        ({"data": b"x" * (50 * 2**20 + 1), "mime_type": "application/pdf"}, "at most 50 MB inline"),
    ],
)
def test_bad_documents_are_refused_before_sending(source: dict[str, object], message: str) -> None:
    with pytest.raises(GLMInvalidRequestError, match=message):
        document_part(get_model_info("glm-5.3-flash"), **source)  # type: ignore[arg-type]


LANGCHAIN_BLOCKS = {
    "v1 base64": {"type": "file", "base64": B64, "mime_type": "application/pdf", "filename": "w.pdf"},
    "legacy base64": {"type": "file", "source_type": "base64", "data": B64, "mime_type": "application/pdf"},
    "openai file": {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{B64}", "filename": "w.pdf"}},
}


@pytest.mark.parametrize("shape", list(LANGCHAIN_BLOCKS))
def test_both_adapters_send_the_same_part_and_the_model_reads_the_document(
    run: Runner, glm_env: LocalGLMServer, shape: str
) -> None:
    question = "How long is the warranty?"
    langchain = run.own(ChatGLM(model="glm-5.3-flash"))
    llamaindex = run.own(GLM(model="glm-5.3-flash"))
    lc_answer = run(langchain.invoke, [HumanMessage([{"type": "text", "text": question}, LANGCHAIN_BLOCKS[shape]])])
    document = DocumentBlock(data=PDF, document_mimetype="application/pdf", title="w.pdf")
    li_answer = run(llamaindex.chat, [ChatMessage(role="user", blocks=[TextBlock(text=question), document])])

    lc_body, li_body = bodies(glm_env, "/chat/completions")
    lc_part, li_part = lc_body["messages"][-1]["content"][1], li_body["messages"][-1]["content"][1]
    assert lc_part["file"]["file_data"] == li_part["file"]["file_data"] == f"data:application/pdf;base64,{B64}"
    assert lc_part["type"] == li_part["type"] == "file"
    assert "The warranty lasts 24 months" in lc_answer.text
    assert "The warranty lasts 24 months" in str(li_answer.message.content)


def test_both_adapters_send_a_url_to_a_url_model(run: Runner, glm_env: LocalGLMServer) -> None:
    run(run.own(ChatGLM(model="glm-4.6v")).invoke, [HumanMessage(["Summarise.", {"type": "file", "url": URL}])])
    message = ChatMessage(role="user", blocks=[TextBlock(text="Summarise."), DocumentBlock(url=URL)])
    run(run.own(GLM(model="glm-4.6v")).chat, [message])

    parts = [body["messages"][-1]["content"][1] for body in bodies(glm_env, "/chat/completions")]
    assert parts == [{"type": "file_url", "file_url": {"url": URL}}] * 2


def test_both_adapters_refuse_inline_data_for_a_url_model_without_a_request(
    run: Runner, glm_env: LocalGLMServer
) -> None:
    block = {"type": "file", "base64": B64, "mime_type": "application/pdf"}
    with pytest.raises(GLMInvalidRequestError, match="takes documents by URL only"):
        run(run.own(ChatGLM(model="glm-4.6v")).invoke, [HumanMessage(["Summarise.", block])])
    message = ChatMessage(
        role="user", blocks=[TextBlock(text="Hi"), DocumentBlock(data=PDF, document_mimetype="application/pdf")]
    )
    with pytest.raises(GLMInvalidRequestError, match="takes documents by URL only"):
        run(run.own(GLM(model="glm-4.6v")).chat, [message])
    assert glm_env.requests == []


def test_the_server_refuses_a_file_part_a_model_does_not_take(glm_server: LocalGLMServer) -> None:
    from glm_transport import GLMBadRequestError, GLMClient

    with GLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url) as client:
        part = {"type": "file", "file": {"file_url": URL}}
        with pytest.raises(GLMBadRequestError, match="does not take file parts"):
            client.chat({"model": "glm-4.6v", "messages": [{"role": "user", "content": [part]}]})
