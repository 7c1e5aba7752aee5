"""``GLMFileParserLoader``: GLM's file parser (docs/wire-notes.md §13.3) as a LangChain document loader."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from pydantic import ConfigDict, Field, PrivateAttr

from glm_transport.media import PollPolicy
from glm_transport.media.parser import (
    AsyncFileParser,
    FileParser,
    ParsedFile,
    ParseFailure,
    ParseProgress,
    ParserTier,
    check_parse_input,
)

from ._client import GLMConnection
from ._errors import mapped_errors

__all__ = ["GLMFileParserLoader"]

FileSource = str | Path | tuple[str, bytes]


def parsed_document(parsed: ParsedFile, source: str) -> Document:
    """A parsed file as a ``Document``: its text, and where it came from in ``metadata``."""
    metadata: dict[str, Any] = {
        "source": source,
        "file_name": parsed.name,
        "parser_tier": parsed.tier,
        "task_id": parsed.task_id,
    }
    if parsed.download_url:
        metadata["download_url"] = parsed.download_url
    return Document(page_content=parsed.text or "", metadata=metadata)


class GLMFileParserLoader(GLMConnection, BaseLoader):
    """Load PDF, Office, text and image files as ``Document`` objects with GLM's file parser.

    One ``Document`` per file, in the order given; ``metadata`` holds ``source``, ``file_name``,
    ``parser_tier`` and ``task_id`` (and ``download_url`` for ``result="download_link"``). Several
    files are parsed ``max_concurrency`` at a time. A file that fails is reported, not fatal: it is
    skipped with a warning and kept in ``failures`` (``on_failure="raise"`` raises instead, after
    the others were parsed).

    Setup:
        ``pip install "glm-integrations[langchain]"`` and set ``ZHIPUAI_API_KEY``.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMFileParserLoader

            loader = GLMFileParserLoader(["report.pdf", "notes.docx"], tier="prime")

    Load:
        .. code-block:: python

            documents = loader.load()
            chunks = RecursiveCharacterTextSplitter(chunk_size=500).split_documents(documents)

    Async:
        .. code-block:: python

            async for document in loader.alazy_load():
                ...

    Args:
        file_path: a path, a ``(file name, bytes)`` pair, or a list of them.
        tier: ``lite`` (default), ``expert`` (PDF only), ``prime``, or ``prime-sync`` (answers at once).
        result: ``text`` (the parsed text) or ``download_link`` (a URL to the parsed package).
        max_concurrency: files parsed at once.
        poll_timeout: seconds a task may take before ``GLMTimeoutError``.
        poll_interval: seconds before the first poll (later waits grow up to 10 s).
        on_progress: called with ``ParseProgress(done, total, name, ok)`` as each file finishes.
        on_failure: ``warn`` (skip the file, keep it in ``failures``) or ``raise``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file_path: FileSource | Sequence[FileSource]
    tier: ParserTier = "lite"
    result: Literal["text", "download_link"] = "text"
    max_concurrency: int = Field(default=4, ge=1)
    poll_timeout: float = Field(default=600.0, gt=0)
    poll_interval: float = Field(default=1.0, ge=0)
    on_progress: Callable[[ParseProgress], None] | None = Field(default=None, exclude=True)
    on_failure: Literal["warn", "raise"] = "warn"
    _failures: list[ParseFailure] = PrivateAttr(default_factory=list)

    def __init__(self, file_path: FileSource | Sequence[FileSource], **data: Any) -> None:
        super().__init__(file_path=file_path, **data)
        for source in self._sources():  # a wrong type or size fails here, before any upload
            if isinstance(source, tuple):
                check_parse_input(source[0], len(source[1]), self.tier)
            elif Path(source).is_file():
                check_parse_input(Path(source).name, Path(source).stat().st_size, self.tier)

    @property
    def failures(self) -> list[ParseFailure]:
        """The files of the last load that could not be parsed, with the error for each."""
        return list(self._failures)

    def _sources(self) -> list[FileSource]:
        path = self.file_path
        if isinstance(path, (str, Path, tuple)):
            return [path]
        return list(path)

    def _options(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "max_concurrency": self.max_concurrency,
            "poll": PollPolicy(
                timeout=self.poll_timeout, initial=self.poll_interval, max_interval=max(10.0, self.poll_interval)
            ),
        }

    def _documents(self, outcomes: Sequence[ParsedFile | ParseFailure]) -> list[Document]:
        sources = self._sources()
        self._failures = [outcome for outcome in outcomes if isinstance(outcome, ParseFailure)]
        for failure in self._failures:
            if self.on_failure == "warn":
                warnings.warn(f"GLM could not parse {failure.name}: {failure.error}", UserWarning, stacklevel=3)
        if self._failures and self.on_failure == "raise":
            raise self._failures[0].error
        return [
            parsed_document(outcome, source[0] if isinstance(source, tuple) else str(source))
            for source, outcome in zip(sources, outcomes, strict=True)
            if isinstance(outcome, ParsedFile)
        ]

    def lazy_load(self) -> Iterator[Document]:
        parser = FileParser(self.client, self.tier, **self._options())
        with mapped_errors():
            outcomes = parser.parse_many(self._sources(), on_progress=self.on_progress)
        yield from self._documents(outcomes)

    async def alazy_load(self) -> AsyncIterator[Document]:
        parser = AsyncFileParser(self.async_client, self.tier, **self._options())
        with mapped_errors():
            outcomes = await parser.parse_many(self._sources(), on_progress=self.on_progress)
        for document in self._documents(outcomes):
            yield document
