"""The governor in the transport: clients queue for a per-(endpoint, key, model) budget instead of
drawing 1302s; streams hold a slot while they live; modes and limits resolve as documented."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from glm_transport import AsyncGLMClient, GLMClient
from glm_transport.errors import GLMConfigurationError, GLMTimeoutError
from glm_transport.governor import ENV_TIER, TIER_LIMITS, Governor, governor_stats
from glm_transport.testing import LocalGLMServer

from .helpers import CHAT, client_kwargs, run_chats

Make = Callable[..., LocalGLMServer]


def test_with_the_tier_limit_the_server_never_sees_more_than_it_and_answers_no_1302(
    mode: str, limited_server: Make
) -> None:
    server = limited_server(inflight_limit=4, latency=0.02)
    results = run_chats(mode, server, 24, concurrency_limits={"glm-4-plus": 4})
    assert all(not isinstance(r, Exception) for r in results)
    assert server.inflight.stats()["peak"] == {"glm-4-plus": 4}
    assert server.inflight.rejected == 0


def test_without_a_known_limit_the_first_1302s_set_the_window_and_everything_completes(
    mode: str, limited_server: Make
) -> None:
    server = limited_server(inflight_limit=3, latency=0.02)
    results = run_chats(mode, server, 20)
    assert all(not isinstance(r, Exception) for r in results)
    (stats,) = governor_stats().values()
    assert stats.overloads == server.inflight.rejected > 0
    assert stats.limit is not None
    assert stats.limit <= 4
    assert stats.in_flight == 0 and stats.queued == 0


def test_off_sends_everything_at_once(mode: str, limited_server: Make) -> None:
    server = limited_server(latency=0.05)
    run_chats(mode, server, 12, concurrency_tier="off")
    assert server.inflight.stats()["peak"]["glm-4-plus"] > 4
    assert governor_stats() == {}


def test_clients_on_one_key_share_one_budget_and_other_keys_do_not(limited_server: Make) -> None:
    server = limited_server()
    a = GLMClient(**client_kwargs(server, concurrency_limits={"glm-4-plus": 2}))
    b = GLMClient(**client_kwargs(server, concurrency_limits={"glm-4-plus": 2}))
    assert a.governor is not None and b.governor is not None
    assert a.governor.limiter("glm-4-plus") is b.governor.limiter("glm-4-plus")
    other = GLMClient(**client_kwargs(server, api_key="other-key", concurrency_limits={"glm-4-plus": 2}))
    assert other.governor is not None
    assert other.governor.limiter("glm-4-plus") is not a.governor.limiter("glm-4-plus")
    assert "other-key" not in repr(governor_stats())


def test_a_stream_holds_its_slot_until_it_is_closed(mode: str, limited_server: Make) -> None:
    server = limited_server()
    request = {**CHAT, "stream": True}
    kwargs = client_kwargs(server, concurrency_limits={"glm-4-plus": 1})
    if mode == "sync":
        with GLMClient(**kwargs) as client:
            stream = client.stream_chat(request)
            assert client.governor is not None
            held = client.governor.stats("glm-4-plus").in_flight
            next(iter(stream))
            stream.close()
            after = client.governor.stats("glm-4-plus").in_flight
    else:

        async def main() -> tuple[int, int]:
            async with AsyncGLMClient(**kwargs) as client:
                stream = await client.stream_chat(request)
                assert client.governor is not None
                held = client.governor.stats("glm-4-plus").in_flight
                await stream.__aiter__().__anext__()
                await stream.aclose()
                return held, client.governor.stats("glm-4-plus").in_flight

        held, after = asyncio.run(main())
    assert (held, after) == (1, 0)


def test_a_stream_read_to_the_end_frees_its_slot_for_the_next_call(mode: str, limited_server: Make) -> None:
    server = limited_server(inflight_limit=1)
    kwargs = client_kwargs(server, concurrency_limits={"glm-4-plus": 1})
    if mode == "sync":
        with GLMClient(**kwargs) as client:
            for _ in range(3):
                assert list(client.stream_chat({**CHAT, "stream": True}))
    else:

        async def main() -> None:
            async with AsyncGLMClient(**kwargs) as client:
                for _ in range(3):
                    assert [c async for c in await client.stream_chat({**CHAT, "stream": True})]

        asyncio.run(main())
    assert server.inflight.rejected == 0


def test_a_call_queued_for_a_slot_ends_at_its_total_timeout_without_sending(mode: str, limited_server: Make) -> None:
    server = limited_server()
    kwargs = client_kwargs(server, concurrency_limits={"glm-4-plus": 1}, total_timeout=0.3)
    request = {**CHAT, "stream": True}
    if mode == "sync":
        with GLMClient(**kwargs) as client:
            holder = client.stream_chat(request)  # holds the only slot until closed
            start = time.monotonic()
            with pytest.raises(GLMTimeoutError, match="overall timeout"):
                client.chat(CHAT)
            waited = time.monotonic() - start
            holder.close()
            assert client.governor is not None
            stats = client.governor.stats("glm-4-plus")
    else:

        async def main() -> tuple[float, object]:
            async with AsyncGLMClient(**kwargs) as client:
                holder = await client.stream_chat(request)
                start = time.monotonic()
                with pytest.raises(GLMTimeoutError, match="overall timeout"):
                    await client.chat(CHAT)
                waited = time.monotonic() - start
                await holder.aclose()
                assert client.governor is not None
                return waited, client.governor.stats("glm-4-plus")

        waited, stats = asyncio.run(main())
    assert 0.25 <= waited < 3
    assert len(server.requests) == 1  # only the stream reached the server
    assert (stats.in_flight, stats.queued) == (0, 0)  # type: ignore[attr-defined]


def test_a_task_cancelled_while_queued_frees_its_place(limited_server: Make) -> None:
    server = limited_server(latency=0.2)

    async def main() -> tuple[int, int]:
        async with AsyncGLMClient(**client_kwargs(server, concurrency_limits={"glm-4-plus": 1})) as client:
            first = asyncio.ensure_future(client.chat(CHAT))
            queued = asyncio.ensure_future(client.chat(CHAT))
            assert client.governor is not None
            for _ in range(1000):  # until the second call waits for the slot the first one holds
                await asyncio.sleep(0.005)
                if client.governor.stats("glm-4-plus").queued:
                    break
            waiting = client.governor.stats("glm-4-plus").queued
            queued.cancel()
            await asyncio.gather(queued, return_exceptions=True)
            await first
            return waiting, client.governor.stats("glm-4-plus").queued + client.governor.stats("glm-4-plus").in_flight

    assert asyncio.run(main()) == (1, 0)


def _governor(**kwargs: object) -> Governor | None:
    return Governor.resolve(endpoint="http://x/api/paas/v4", secret="k", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tier", "model", "expected"),
    [
        ("V0", "glm-4-plus", 50),
        ("V3", "GLM-4-Plus", 500),
        ("v1", "glm-4-airx", 30),
        ("V2", "glm-4-flash-250414", 2000),
        ("V2", "glm-4.6", None),
        ("auto", "glm-4-plus", None),
    ],
)
def test_tiers_cap_the_models_of_the_published_table(tier: str, model: str, expected: int | None) -> None:
    governor = _governor(concurrency_tier=tier)
    assert governor is not None
    assert governor.ceiling(model) == expected


def test_an_explicit_limit_wins_over_the_tier_and_star_covers_other_models() -> None:
    governor = _governor(concurrency_tier="V0", concurrency_limits={"glm-4-plus": 7, "*": 3})
    assert governor is not None
    assert (governor.ceiling("glm-4-plus"), governor.ceiling("glm-4.6")) == (7, 3)


def test_the_tier_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TIER, "V1")
    governor = _governor()
    assert governor is not None and governor.ceiling("glm-4-plus") == TIER_LIMITS["glm-4-plus"][1]
    monkeypatch.setenv(ENV_TIER, "off")
    assert _governor() is None


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"concurrency_tier": "V9"}, "concurrency_tier"),
        ({"concurrency_limits": {"glm-4-plus": 0}}, "concurrency_limits['glm-4-plus']"),
        ({"concurrency_limits": {"glm-4-plus": True}}, "concurrency_limits['glm-4-plus']"),
    ],
)
def test_bad_settings_are_refused_naming_the_argument(kwargs: dict[str, object], names: str) -> None:
    with pytest.raises(GLMConfigurationError, match=names.replace("[", r"\[")):
        GLMClient(api_key="k", **kwargs)  # type: ignore[arg-type]


def test_adaptive_mode_starts_small_and_settles_near_an_unknown_limit(mode: str, limited_server: Make) -> None:
    unguarded = limited_server(inflight_limit=4, latency=0.02)
    run_chats(mode, unguarded, 40, concurrency_tier="off")
    server = limited_server(inflight_limit=4, latency=0.02)
    results = run_chats(mode, server, 40, concurrency_tier="adaptive")
    assert all(not isinstance(r, Exception) for r in results)
    (stats,) = governor_stats().values()
    assert server.inflight.rejected * 3 < unguarded.inflight.rejected
    assert stats.overloads == server.inflight.rejected
