"""Embeddings, rerank, tokenizer and web search (wire notes §7, §8, §8b): pure request -> body.

Vectors are hashed bags of words and character trigrams, L2-normalised, so texts that share
words are close (a RAG pipeline over the local server retrieves the right chunks). Rerank scores
are the share of query words found in each document.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from . import _catalog
from ._errors import ApiError, invalid, missing
from ._text import collapse, new_id, prompt_tokens, terms, tokens_for_chars
from ._validate import require_model, validate_messages

EMBEDDING_DIMENSIONS = (256, 512, 1024, 2048)
MAX_INPUTS = 64
MAX_INPUT_TOKENS = {"embedding-2": 512}  # others: embedding-3's 3072 (wire notes §7)
MAX_RERANK_DOCUMENTS = 128
MAX_RERANK_CHARS = 4096
RECENCY = ("oneDay", "oneWeek", "oneMonth", "oneYear", "noLimit")


# ---- embeddings ---------------------------------------------------------------------------
def embeddings(body: Mapping[str, Any]) -> dict[str, Any]:
    model = require_model(body)
    if not _catalog.is_embedding(model):
        raise ApiError(400, "1212", f"Model {model} does not support embeddings.")
    dims = _dimensions(model, body.get("dimensions"))
    texts = _inputs(body.get("input"), MAX_INPUT_TOKENS.get(model, 3072))
    tokens = sum(tokens_for_chars(len(t)) for t in texts)
    return {
        "model": model,
        "object": "list",
        "data": [{"index": i, "object": "embedding", "embedding": list(vector(t, dims))} for i, t in enumerate(texts)],
        "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
    }


def _dimensions(model: str, value: Any) -> int:
    if model == "embedding-2":
        if value is not None and value != 1024:
            raise invalid("dimensions", "embedding-2 has a fixed size of 1024")
        return 1024
    if value is None:
        return 2048
    if isinstance(value, bool) or value not in EMBEDDING_DIMENSIONS:
        raise invalid("dimensions", f"must be one of {', '.join(map(str, EMBEDDING_DIMENSIONS))}")
    return int(value)


def _inputs(value: Any, max_tokens: int) -> list[str]:
    if value is None:
        raise missing("input")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list):
        raise invalid("input", "must be a string or an array of strings")
    if not texts:
        raise ApiError(400, "1214", "Input cannot be empty")
    if len(texts) > MAX_INPUTS:
        raise invalid("input", f"at most {MAX_INPUTS} items per request")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise invalid(f"input[{i}]", "must be a string")
        if not text:
            raise ApiError(400, "1214", "Input cannot be empty")
        if tokens_for_chars(len(text)) > max_tokens:
            raise invalid(f"input[{i}]", f"longer than {max_tokens} tokens")
    return texts


def _features(text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    words = terms(text) or [text.lower().strip() or "\0"]
    for word in words:
        weights["w:" + word] = weights.get("w:" + word, 0.0) + 1.0
        padded = f"#{word}#"
        for i in range(len(padded) - 2):
            key = "t:" + padded[i : i + 3]
            weights[key] = weights.get(key, 0.0) + 0.25
    return weights


@lru_cache(maxsize=4096)
def vector(text: str, dims: int) -> tuple[float, ...]:
    """The deterministic unit vector of ``text`` (signed feature hashing)."""
    values = [0.0] * dims
    for feature, weight in _features(text).items():
        h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
        values[h % dims] += weight if (h >> 63) & 1 else -weight
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return tuple(round(v / norm, 6) for v in values)


# ---- rerank -------------------------------------------------------------------------------
def rerank(body: Mapping[str, Any]) -> dict[str, Any]:
    model = require_model(body)
    if not _catalog.is_rerank(model):
        raise ApiError(400, "1212", f"Model {model} does not support rerank.")
    query = _short_text(body.get("query"), "query")
    docs = body.get("documents")
    if docs is None:
        raise missing("documents")
    if not isinstance(docs, list) or not docs:
        raise invalid("documents", "must be a non-empty array of strings")
    if len(docs) > MAX_RERANK_DOCUMENTS:
        raise invalid("documents", f"at most {MAX_RERANK_DOCUMENTS} documents")
    texts = [_short_text(d, f"documents[{i}]") for i, d in enumerate(docs)]
    top_n = body.get("top_n") or 0
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 0:
        raise invalid("top_n", "must be a non-negative integer")
    scores = rerank_scores(query, texts)
    order = sorted(range(len(texts)), key=lambda i: -scores[i])
    results = []
    for i in order[: top_n or None]:
        score = scores[i] * 20 - 10 if body.get("return_raw_scores") else scores[i]
        item: dict[str, Any] = {"index": i, "relevance_score": round(score, 8)}
        if body.get("return_documents"):
            item["document"] = texts[i]
        results.append(item)
    tokens = tokens_for_chars(len(query) * len(texts) + sum(len(t) for t in texts))
    task = new_id()
    return {
        "created": int(time.time()),
        "id": task,
        "request_id": body.get("request_id") or task,
        "results": results,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _short_text(value: Any, field: str) -> str:
    if value is None:
        raise missing(field)
    if not isinstance(value, str) or not value:
        raise invalid(field, "must be a non-empty string")
    if len(value) > MAX_RERANK_CHARS:
        raise invalid(field, f"longer than {MAX_RERANK_CHARS} characters")
    return value


def rerank_scores(query: str, documents: list[str]) -> list[float]:
    """Share of query words in each document, in (0, 1); earlier documents win ties."""
    wanted = set(terms(query))
    n = len(documents)
    out = []
    for i, doc in enumerate(documents):
        overlap = len(wanted & set(terms(doc))) / len(wanted) if wanted else 0.0
        out.append(0.01 + 0.98 * overlap + 1e-4 * (n - i) / n)
    return out


# ---- tokenizer ----------------------------------------------------------------------------
def tokenizer(body: Mapping[str, Any]) -> dict[str, Any]:
    model = require_model(body)
    messages = validate_messages(body.get("messages"), model)
    tools = body.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise invalid("tools", "must be an array")
    tokens = prompt_tokens(messages, tools)
    task = new_id()
    return {
        "id": task,
        "created": int(time.time()),
        "request_id": body.get("request_id") or task,
        "usage": {"prompt_tokens": tokens, "image_tokens": 0, "video_tokens": 0, "total_tokens": tokens},
    }


# ---- web search ---------------------------------------------------------------------------
def web_search(body: Mapping[str, Any]) -> dict[str, Any]:
    engine = body.get("search_engine")
    if engine is None or engine == "":
        raise missing("search_engine")
    if not isinstance(engine, str):
        raise invalid("search_engine", "must be a string")
    query = body.get("search_query")
    if query is None or query == "":
        raise missing("search_query")
    if not isinstance(query, str):
        raise invalid("search_query", "must be a string")
    count = body.get("count", 10)
    if count is None:
        count = 10
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 50:
        raise invalid("count", "must be an integer between 1 and 50")
    domain = body.get("search_domain_filter")
    if domain is not None and not isinstance(domain, str):
        raise invalid("search_domain_filter", "must be a string")
    recency = body.get("search_recency_filter")
    if recency is not None and recency not in RECENCY:
        raise invalid("search_recency_filter", f"must be one of {', '.join(RECENCY)}")
    task = new_id()
    return {
        "id": task,
        "created": int(time.time()),
        "request_id": body.get("request_id") or task,
        "search_result": search_results(query, count, domain),
    }


def search_results(query: str, count: int, domain: str | None = None) -> list[dict[str, Any]]:
    """``count`` deterministic results for ``query`` (also the chat ``web_search`` array)."""
    words = terms(query)
    slug = "-".join(words[:6]) or "search"
    topic = collapse(query, 60) or "search"
    host = domain or "example.com"
    return [
        {
            "title": f"{topic} - result {i}",
            "content": f"Result {i} for {topic}: a page about {' '.join(words[:8]) or topic}.",
            "link": f"https://{host}/{slug}/{i}",
            "media": "Example Media",
            "icon": f"https://{host}/favicon.ico",
            "refer": f"ref_{i}",
            "publish_date": f"2026-01-{(i - 1) % 28 + 1:02d}",
        }
        for i in range(1, count + 1)
    ]
