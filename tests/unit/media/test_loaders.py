"""The parser as LangChain's ``GLMFileParserLoader`` and LlamaIndex's ``GLMFileParserReader``: documents
with metadata in input order, a failed file reported without losing the others, progress, and a
PDF (plus a DOCX) made here, parsed, indexed and answered from in each framework, offline."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter
from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex

from glm_transport import GLMInvalidRequestError
from glm_transport.media import GLMTaskFailedError
from glm_transport.testing import LocalGLMServer
from glm_transport.testing.documents import sample_docx, sample_pdf
from langchain_glm import ChatGLM, GLMEmbeddings, GLMFileParserLoader
from llamaindex_glm import GLM, GLMEmbedding, GLMFileParserReader, GLMTokenizer
from tests.unit.rag.support import Runner, bodies

WARRANTY = "The Aurora X2 heat pump carries a warranty of 24 months from delivery."
SERVICE = "Service visits for the Aurora X2 are booked through the installer portal."
QUESTION = "How long is the warranty of the Aurora X2 heat pump?"


@pytest.fixture
def folder(tmp_path: pytest.TempPathFactory) -> object:
    """A handbook PDF (two pages), a DOCX and a broken PDF, written by the test itself."""
    (tmp_path / "handbook.pdf").write_bytes(sample_pdf([["Aurora X2 handbook", WARRANTY], "Installation takes a day."]))  # type: ignore[operator]
    (tmp_path / "service.docx").write_bytes(sample_docx(["Service", SERVICE]))  # type: ignore[operator]
    return tmp_path


@pytest.fixture
def offline_tokenizer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """GLM's offline tokenizer, and an event loop for LlamaIndex's sync token estimate (it runs a
    coroutine on ``asyncio.get_event_loop()``): ours, closed afterwards, not one left behind."""
    monkeypatch.setattr(Settings, "_tokenizer", GLMTokenizer())
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def loader_run(run: Runner, loader: GLMFileParserLoader) -> list[object]:
    if run.loop is None:
        return loader.load()

    async def collect() -> list[object]:
        return [document async for document in loader.alazy_load()]

    return run.wait(collect())  # type: ignore[no-any-return]


# ---- LangChain ----------------------------------------------------------------------------


def test_the_loader_gives_one_document_per_file_with_metadata(
    run: Runner, glm_env: LocalGLMServer, folder: object
) -> None:
    files = [folder / "handbook.pdf", folder / "service.docx"]  # type: ignore[operator]
    documents = loader_run(run, run.own(GLMFileParserLoader(files, poll_interval=0.01)))

    handbook, service = documents
    assert handbook.page_content == f"Aurora X2 handbook\n{WARRANTY}\n\nInstallation takes a day."  # type: ignore[attr-defined]
    assert service.page_content == f"Service\n\n{SERVICE}"  # type: ignore[attr-defined]
    assert handbook.metadata["file_name"] == "handbook.pdf"  # type: ignore[attr-defined]
    assert handbook.metadata["source"] == str(files[0])  # type: ignore[attr-defined]
    assert handbook.metadata["parser_tier"] == "lite"  # type: ignore[attr-defined]
    assert handbook.metadata["task_id"] != service.metadata["task_id"]  # type: ignore[attr-defined]


def test_the_loader_reports_a_failed_file_and_keeps_the_others(run: Runner, glm_env: LocalGLMServer) -> None:
    files = [("good.pdf", sample_pdf(["fine"])), ("bad.pdf", b"%PDF-1.4 garbage"), ("also.txt", b"also fine")]
    progress: list[object] = []
    loader = run.own(GLMFileParserLoader(files, poll_interval=0.01, on_progress=progress.append, max_concurrency=2))
    with pytest.warns(UserWarning, match="GLM could not parse bad.pdf"):
        documents = loader_run(run, loader)

    assert [d.page_content for d in documents] == ["fine", "also fine"]  # type: ignore[attr-defined]
    [failure] = loader.failures
    assert failure.name == "bad.pdf" and isinstance(failure.error, GLMTaskFailedError)
    assert len(progress) == 3


def test_the_loader_can_raise_on_a_failed_file(run: Runner, glm_env: LocalGLMServer) -> None:
    loader = run.own(GLMFileParserLoader(("bad.pdf", b"nope"), poll_interval=0.01, on_failure="raise"))
    with pytest.raises(GLMTaskFailedError, match="bad.pdf"):
        loader_run(run, loader)


def test_the_loader_refuses_a_file_its_tier_cannot_read_when_made(glm_env: LocalGLMServer) -> None:
    with pytest.raises(GLMInvalidRequestError, match="expert parser cannot read 'notes.docx'"):
        GLMFileParserLoader([("notes.docx", b"PK..")], tier="expert")
    assert glm_env.requests == []


def test_a_langchain_retrieval_chain_answers_from_a_parsed_pdf(
    run: Runner, glm_env: LocalGLMServer, folder: object
) -> None:
    loader = run.own(
        GLMFileParserLoader([folder / "handbook.pdf", folder / "service.docx"], tier="prime", poll_interval=0.01)
    )  # type: ignore[operator]
    chunks = RecursiveCharacterTextSplitter(chunk_size=80, chunk_overlap=0).split_documents(loader_run(run, loader))
    store = run(InMemoryVectorStore.from_documents, chunks, run.own(GLMEmbeddings(dimensions=256)))
    retriever = store.as_retriever(search_kwargs={"k": 1})
    prompt = ChatPromptTemplate.from_template("Context: {context}\n\nAnswer from the context only. {question}")
    chain = prompt | run.own(ChatGLM(model="glm-4.7")) | StrOutputParser()

    [found] = run(retriever.invoke, QUESTION)
    answer = run(chain.invoke, {"context": found.page_content, "question": QUESTION})

    assert found.page_content == WARRANTY and found.metadata["file_name"] == "handbook.pdf"
    assert "24 months" in answer
    [chat] = bodies(glm_env, "/chat/completions")
    assert WARRANTY in chat["messages"][-1]["content"]


# ---- LlamaIndex ---------------------------------------------------------------------------


def test_the_reader_gives_documents_with_file_tier_and_task_metadata(
    run: Runner, glm_env: LocalGLMServer, folder: object
) -> None:
    reader = run.own(GLMFileParserReader(tier="prime-sync"))
    files = [folder / "handbook.pdf", folder / "service.docx"]  # type: ignore[operator]
    documents = run(reader.load_data, files, extra_info={"collection": "manuals"})

    assert [d.metadata["file_name"] for d in documents] == ["handbook.pdf", "service.docx"]
    assert {d.metadata["parser_tier"] for d in documents} == {"prime-sync"}
    assert all(d.metadata["task_id"] and d.metadata["collection"] == "manuals" for d in documents)
    assert WARRANTY in documents[0].text
    assert "task_id" not in documents[0].get_content(metadata_mode="llm")  # noqa: not for the model


def test_simple_directory_reader_uses_the_reader_for_its_suffixes(
    run: Runner, glm_env: LocalGLMServer, folder: object
) -> None:
    (folder / "notes.txt").write_text("Plain text is read locally.")  # type: ignore[operator]
    reader = run.own(GLMFileParserReader(poll_interval=0.01))
    directory = SimpleDirectoryReader(str(folder), file_extractor={".pdf": reader, ".docx": reader})
    documents = run(directory.load_data)

    by_name = {d.metadata["file_name"]: d for d in documents}
    assert sorted(by_name) == ["handbook.pdf", "notes.txt", "service.docx"]
    assert by_name["handbook.pdf"].metadata["parser_tier"] == "lite"
    assert "parser_tier" not in by_name["notes.txt"].metadata  # not sent to GLM
    assert by_name["handbook.pdf"].metadata["file_path"].endswith("handbook.pdf")
    assert len([r for r in glm_env.requests if r.path.endswith("/files/parser/create")]) == 2


def test_the_reader_reports_a_failed_file_and_shows_progress(
    run: Runner, glm_env: LocalGLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    progress: list[object] = []
    reader = run.own(GLMFileParserReader(poll_interval=0.01, show_progress=True, on_progress=progress.append))
    files = [("a.txt", b"alpha"), ("b.pdf", b"broken"), ("c.txt", b"gamma")]
    with pytest.warns(UserWarning, match="could not parse b.pdf"):
        documents = run(reader.load_data, files)

    assert [d.text for d in documents] == ["alpha", "gamma"]
    assert [f.name for f in reader.failures] == ["b.pdf"]
    assert len(progress) == 3
    assert "Parsing files" in capsys.readouterr().err


def test_a_llamaindex_rag_query_answers_from_a_parsed_pdf(
    run: Runner, glm_env: LocalGLMServer, folder: object, offline_tokenizer: None
) -> None:
    reader = run.own(GLMFileParserReader(tier="expert", poll_interval=0.01))
    documents = run(reader.load_data, folder / "handbook.pdf")  # type: ignore[operator]
    documents += run(run.own(GLMFileParserReader(poll_interval=0.01)).load_data, folder / "service.docx")  # type: ignore[operator]
    index = VectorStoreIndex.from_documents(documents, embed_model=run.own(GLMEmbedding(dimensions=256)))
    engine = index.as_query_engine(llm=run.own(GLM(model="glm-4.7")), similarity_top_k=1)

    response = run(engine.query, QUESTION)

    assert response.source_nodes[0].node.metadata["file_name"] == "handbook.pdf"
    assert "24 months" in str(response)
