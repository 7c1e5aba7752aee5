"""Every ```python block in README.md and docs/*.md runs, in order, one namespace per file (like a
notebook), against the bundled local server exported as ZHIPUAI_API_KEY / ZHIPUAI_BASE_URL, exactly as a
reader would configure the real API. No block is skipped: a sample that cannot run here is a bug."""

from __future__ import annotations

import asyncio
import gc
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from glm_transport.testing import LocalGLMServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, source) of each fenced python block."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def test_the_block_finder_sees_fenced_python_only() -> None:
    text = "intro\n```python\nx = 1\n```\n```bash\nls\n```\n\n```python title\ny = 2\n```\n"
    assert python_blocks(text) == [(3, "x = 1\n"), (10, "y = 2\n")]


@pytest.fixture
def llamaindex_globals() -> Iterator[None]:
    """Samples set ``Settings.llm`` / ``Settings.tokenizer`` as users do: put them back for the next test."""
    import llama_index.core as core
    from llama_index.core import Settings

    saved, tokenizer = dict(vars(Settings)), core.global_tokenizer
    yield
    vars(Settings).clear()
    vars(Settings).update(saved)
    core.global_tokenizer = tokenizer


@pytest.mark.usefixtures("llamaindex_globals")
@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_python_sample_runs(path: Path, glm_server: LocalGLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    assert blocks, f"{path.name} has no python sample"
    assert glm_server.api_key is not None
    monkeypatch.setenv("ZHIPUAI_API_KEY", glm_server.api_key)
    monkeypatch.setenv("ZHIPUAI_BASE_URL", glm_server.base_url)
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    for line, source in blocks:
        code = compile(source, f"{path.name}:{line}", "exec")
        try:
            exec(code, namespace)  # noqa: S102 - the samples are ours, checked in
        except Exception as exc:
            raise AssertionError(f"{path.name}, sample at line {line} failed: {exc!r}") from exc
    # Samples may leave models open the way a script would; release them here, not in a later test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        namespace.clear()
        gc.collect()
    asyncio.set_event_loop(None)
