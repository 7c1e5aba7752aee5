"""``GLMFileParserReader``: GLM's file parser (docs/wire-notes.md §13.3) as a LlamaIndex reader."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.readers.base import BasePydanticReader
from llama_index.core.schema import Document

from glm_transport.media import PollPolicy
from glm_transport.media.parser import (
    AsyncFileParser,
    FileParser,
    ParsedFile,
    ParseFailure,
    ParseProgress,
    ParserTier,
)

from ._client import GLMConnection

__all__ = ["GLMFileParserReader"]

FileSource = str | Path | tuple[str, bytes]


class GLMFileParserReader(GLMConnection, BasePydanticReader):
    """Read PDF, Office, text and image files into ``Document`` objects with GLM's file parser.

    One ``Document`` per file, in input order, with ``file_name``, ``file_path``, ``parser_tier`` and
    ``task_id`` in its metadata (plus ``download_url`` for ``result="download_link"``, and whatever
    ``extra_info`` gives). Several files are parsed ``max_concurrency`` at a time, with a progress bar
    (``show_progress``) and/or a callback. A file that fails is skipped with a warning and kept in
    ``failures``; ``on_failure="raise"`` raises instead.

    Use it alone or for some suffixes of ``SimpleDirectoryReader``:

    .. code-block:: python

        from llama_index.core import SimpleDirectoryReader
        from llamaindex_glm import GLMFileParserReader

        parser = GLMFileParserReader(tier="prime")
        documents = parser.load_data(["report.pdf", "notes.docx"])
        documents = SimpleDirectoryReader("docs/", file_extractor={".pdf": parser}).load_data()

    Args:
        tier: ``lite`` (default), ``expert`` (PDF only), ``prime``, or ``prime-sync`` (answers at once).
        result: ``text`` or ``download_link`` (a URL to the parsed package, §13.3).
        max_concurrency: files parsed at once.
        poll_timeout: seconds a task may take; poll_interval: seconds before the first poll.
        show_progress: a progress bar over the files of one call.
        on_progress: called with ``ParseProgress(done, total, name, ok)`` per finished file.
        on_failure: ``warn`` (skip and keep in ``failures``) or ``raise``.
    """

    is_remote: bool = True
    tier: ParserTier = "lite"
    result: Literal["text", "download_link"] = "text"
    max_concurrency: int = Field(default=4, ge=1)
    poll_timeout: float = Field(default=600.0, gt=0)
    poll_interval: float = Field(default=1.0, ge=0)
    show_progress: bool = False
    on_progress: Callable[[ParseProgress], None] | None = Field(default=None, exclude=True)
    on_failure: Literal["warn", "raise"] = "warn"
    _failures: list[ParseFailure] = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "GLMFileParserReader"

    @property
    def failures(self) -> list[ParseFailure]:
        """The files of the last call that could not be parsed, with the error for each."""
        return list(self._failures)

    def _options(self) -> dict[str, Any]:
        policy = PollPolicy(
            timeout=self.poll_timeout, initial=self.poll_interval, max_interval=max(10.0, self.poll_interval)
        )
        return {"result": self.result, "max_concurrency": self.max_concurrency, "poll": policy}

    def _inputs(self, file: FileSource | Sequence[FileSource], fs: Any) -> list[FileSource]:
        files = [file] if isinstance(file, (str, Path, tuple)) else list(file)
        if fs is None:
            return files
        # A SimpleDirectoryReader over another file system: read the bytes through it.
        return [f if isinstance(f, tuple) else (Path(str(f)).name, _read(fs, f)) for f in files]

    def _progress(self, total: int) -> tuple[Callable[[ParseProgress], None], Callable[[], None]]:
        bar = None
        if self.show_progress and total > 1:
            from tqdm.auto import tqdm  # type: ignore[import-untyped]  # a llama-index-core dependency

            bar = tqdm(total=total, desc="Parsing files")

        def report(progress: ParseProgress) -> None:
            if bar is not None:
                bar.update(1)
            if self.on_progress is not None:
                self.on_progress(progress)

        return report, (bar.close if bar is not None else lambda: None)

    def _documents(
        self,
        files: Sequence[FileSource],
        outcomes: Sequence[ParsedFile | ParseFailure],
        extra_info: dict[str, Any] | None,
    ) -> list[Document]:
        self._failures = [outcome for outcome in outcomes if isinstance(outcome, ParseFailure)]
        for failure in self._failures:
            if self.on_failure == "warn":
                warnings.warn(f"GLM could not parse {failure.name}: {failure.error}", UserWarning, stacklevel=3)
        if self._failures and self.on_failure == "raise":
            raise self._failures[0].error
        documents = []
        for source, outcome in zip(files, outcomes, strict=True):
            if isinstance(outcome, ParsedFile):
                path = source[0] if isinstance(source, tuple) else str(source)
                metadata = {
                    "file_name": outcome.name,
                    "file_path": path,
                    "parser_tier": outcome.tier,
                    "task_id": outcome.task_id,
                    **({"download_url": outcome.download_url} if outcome.download_url else {}),
                    **(extra_info or {}),
                }
                # Task ids and tiers help tracing, not answering: keep them out of prompts and vectors.
                hidden = [key for key in metadata if key not in ("file_name", *(extra_info or {}))]
                documents.append(
                    Document(
                        text=outcome.text or "",
                        metadata=metadata,
                        excluded_llm_metadata_keys=hidden,
                        excluded_embed_metadata_keys=hidden,
                    )
                )
        return documents

    def load_data(
        self,
        file: FileSource | Sequence[FileSource],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> list[Document]:
        """Parse ``file`` (a path, ``(name, bytes)``, or a list of them); ``extra_info`` joins every
        document's metadata; ``fs`` is the fsspec file system ``SimpleDirectoryReader`` passes."""
        files = self._inputs(file, fs)
        report, done = self._progress(len(files))
        try:
            outcomes = FileParser(self.client, self.tier, **self._options()).parse_many(files, on_progress=report)
        finally:
            done()
        return self._documents(files, outcomes, extra_info)

    def lazy_load_data(self, *args: Any, **kwargs: Any) -> Iterable[Document]:
        """``load_data``'s documents one by one (the files are parsed together first)."""
        return iter(self.load_data(*args, **kwargs))

    async def aload_data(
        self,
        file: FileSource | Sequence[FileSource],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> list[Document]:
        """``load_data`` with the async client."""
        files = self._inputs(file, fs)
        report, done = self._progress(len(files))
        parser = AsyncFileParser(self.async_client, self.tier, **self._options())
        try:
            outcomes = await parser.parse_many(files, on_progress=report)
        finally:
            done()
        return self._documents(files, outcomes, extra_info)


def _read(fs: Any, path: FileSource) -> bytes:
    with fs.open(str(path), "rb") as handle:
        data: bytes = handle.read()
    return data
