"""Parsed request URLs, cached: a client sends to a handful of fixed URLs (``base_url`` plus a path).

``httpx.Request`` parses a string URL on every request, about 20 µs, which is more than the rest
of building the request together; given an ``httpx.URL`` it only shares the parsed (immutable)
reference. Caching the parse makes a call cost less than ``httpx.Client.post`` with the same URL
(``bench/transport.py``).
"""

from __future__ import annotations

from functools import lru_cache

import httpx

__all__ = ["parsed_url"]


@lru_cache(maxsize=256)
def parsed_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, parsed once per distinct ``url`` (URLs are immutable, so sharing is safe)."""
    return httpx.URL(url)
