"""The catalogue informs and never refuses what the server may accept (docs/wire-notes.md §9)."""

from __future__ import annotations

import dataclasses
import typing
import uuid
import warnings
from typing import Any

import pytest
import typing_extensions

from glm_transport import GLMClient, get_model_info, list_models
from glm_transport import types as wire_types
from glm_transport.catalog import ModelInfo, lookup_model
from glm_transport.testing import LocalGLMServer
from glm_transport.validation import normalize_chat_request

USER = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("model", ["glm-4-air-250414", "glm-4-flashx-250414", "glm-4-flash-250414", "glm-4-flashx"])
def test_glm4_0414_snapshots_have_16k_output(model: str) -> None:
    assert get_model_info(model).max_output_tokens == 16_384


@pytest.mark.parametrize(
    "model",
    [
        "glm-4",
        "glm-4-flashx",
        "glm-4-0520",
        "glm-z1-air",
        "glm-z1-airx",
        "glm-z1-flash",
        "glm-z1-flashx",
        "glm-4.1v-thinking-flash",
        "glm-4.1v-thinking-flashx",
        "autoglm-phone-multilingual",
    ],
)
def test_ids_copied_from_the_docs_are_known_and_do_not_warn(model: str) -> None:
    assert model in {info.id for info in list_models()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lookup_model(model).known
        normalize_chat_request({"model": model, "messages": USER}, stream=False)


def test_the_z1_and_thinking_vision_lines_are_described_as_such() -> None:
    assert get_model_info("glm-z1-flashx").thinking == "tagged"
    assert get_model_info("glm-4.1v-thinking-flashx").vision


def test_an_unknown_id_warns_once_per_process_however_often_it_is_used() -> None:
    model = f"glm-9-{uuid.uuid4().hex[:8]}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            body = normalize_chat_request({"model": model, "messages": USER, "max_tokens": 100_000}, stream=False)
    assert body["model"] == model and body["max_tokens"] == 100_000
    assert [str(w.message) for w in caught if "not in the catalogue" in str(w.message)] == [
        f"GLM model {model!r} is not in the catalogue; it is sent as given, with conservative limits assumed "
        "for budgeting (this warning is shown once per model id)"
    ]


def test_a_plain_family_prefix_does_not_make_any_suffix_known() -> None:
    assert get_model_info("glm-4.5-air-0711").known  # a dated snapshot keeps its family's entry
    assert not get_model_info("glm-4-ultra").known  # "glm-4" is listed, but "ultra" is no snapshot


@pytest.mark.parametrize(
    "request_",
    [
        # max_tokens above the catalogue's cap for the model, inside the documented range.
        {"model": "glm-4-flash-250414", "messages": USER, "max_tokens": 8192},
        {"model": "glm-4-plus", "messages": USER, "max_tokens": 131_072},
        # Tools on a model the catalogue lists without tools.
        {"model": "glm-4.5v", "messages": USER, "tools": [{"type": "function", "function": {"name": "f"}}]},
        # An image to a model the catalogue lists as text-only.
        {
            "model": "glm-4.7",
            "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}],
        },
    ],
    ids=["max_tokens-flash", "max_tokens-plus", "tools-on-4.5v", "image-on-text-model"],
)
def test_catalogue_values_never_refuse_a_request(request_: dict[str, Any]) -> None:
    body = normalize_chat_request(request_, stream=False)
    assert body["model"] == request_["model"]


def test_max_tokens_8192_on_the_free_flash_model_reaches_the_server(glm_server: LocalGLMServer) -> None:
    with GLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url) as client:
        completion = client.chat({"model": "glm-4-flash-250414", "messages": USER, "max_tokens": 8192})
    assert completion.choices[0].message.content
    assert glm_server.requests[-1].json["max_tokens"] == 8192


def test_model_info_has_no_write_only_fields() -> None:
    assert {f.name for f in dataclasses.fields(ModelInfo)} == {
        "id",
        "kind",
        "context_window",
        "max_output_tokens",
        "default_max_tokens",
        "thinking",
        "tools",
        "tool_stream",
        "vision",
        "json_mode",
        "embedding_dimensions",
        "max_batch",
        "documents",  # read by glm_transport.media.document_part
        "known",
    }


def _typed_dicts_reachable_from(root: type) -> set[str]:
    seen: set[str] = set()
    todo: list[Any] = [root]
    while todo:
        tp = todo.pop()
        if typing_extensions.is_typeddict(tp):
            if tp.__name__ in seen:
                continue
            seen.add(tp.__name__)
            todo.extend(typing.get_type_hints(tp).values())
        else:
            todo.extend(typing.get_args(tp))
    return seen


def test_every_request_typeddict_is_part_of_the_chat_request() -> None:
    declared = {
        name
        for name, value in vars(wire_types).items()
        if typing_extensions.is_typeddict(value) and value.__module__ == wire_types.__name__
    }
    assert declared == _typed_dicts_reachable_from(wire_types.ChatCompletionRequest)
