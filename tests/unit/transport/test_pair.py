"""ClientPair: one lazily made client of each kind per owner, never shared by copies."""

from __future__ import annotations

import asyncio
import copy
import pickle
import threading

from glm_transport import AsyncGLMClient, ClientPair, GLMClient
from glm_transport.testing import LocalGLMServer


def test_each_client_is_made_once_even_from_many_threads(glm_server: LocalGLMServer) -> None:
    pair, made = ClientPair(), []

    def make() -> GLMClient:
        made.append(1)
        return GLMClient(api_key="test-key", base_url=glm_server.base_url)

    seen: list[GLMClient] = []
    threads = [threading.Thread(target=lambda: seen.append(pair.sync(make))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and all(client is seen[0] for client in seen)
    pair.close()
    assert seen[0]._http is None
    assert pair.sync(make) is not seen[0]  # closed: a later call makes a fresh one
    pair.close()


def test_copies_get_an_empty_pair(glm_server: LocalGLMServer) -> None:
    pair = ClientPair()
    client = pair.sync(lambda: GLMClient(api_key="test-key", base_url=glm_server.base_url))
    for other in (copy.copy(pair), copy.deepcopy(pair), pickle.loads(pickle.dumps(pair))):  # noqa: S301
        assert other._sync is None and other._async is None
    assert pair._sync is client
    pair.close()


def test_aclose_closes_both(glm_server: LocalGLMServer) -> None:
    pair = ClientPair()
    sync = pair.sync(lambda: GLMClient(api_key="test-key", base_url=glm_server.base_url))
    sync.chat({"model": "glm-4-plus", "messages": [{"role": "user", "content": "hi"}]})

    async def run() -> None:
        aclient = pair.async_(lambda: AsyncGLMClient(api_key="test-key", base_url=glm_server.base_url))
        await aclient.chat({"model": "glm-4-plus", "messages": [{"role": "user", "content": "hi"}]})
        await pair.aclose()

    asyncio.run(run())
    assert pair._sync is None and pair._async is None and sync._http is None
    assert glm_server.wait_for_idle() and glm_server.open_connections == 0
