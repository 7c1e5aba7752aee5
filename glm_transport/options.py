"""The options every GLM class takes, defined once for both adapters.

``GLMOptions`` holds the connection settings (``api_key``, ``base_url``, ``timeout``,
``total_timeout``, ``max_retries``, ``use_jwt``, ``default_headers``, the user's own httpx clients,
``max_concurrency``) and owns the instance's client pair; ``ChatOptions`` holds the model
parameters both chat classes share. Every LangChain and LlamaIndex class (chat, embeddings, rerank,
web search, tokenizer) inherits them, so names, defaults and checks cannot drift apart.

Construction goes through ``normalize_options``: the spellings users bring from each framework's
OpenAI classes (``ALIASES``) are renamed to ours; request fields GLM does not document
(``UNDOCUMENTED``) are accepted only at the value GLM behaves as anyway, else refused; any other
unknown name is refused with the nearest valid one. ``json_kwargs`` guards the free-form request
dicts (``model_kwargs``, ``additional_kwargs``, ``extra_body``): JSON values only, no credential.
Nothing a user passes is silently dropped, forwarded or leaked.

pydantic is the only dependency here (the transport's wire types use it too); both frameworks'
classes are pydantic v2 models, so the mixins below serve both.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import sys
import warnings
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_serializer,
)
from pydantic import field_validator as _field_validator
from typing_extensions import Self

import glm_transport as _transport

from .catalog import EMBEDDING_MAX_BATCH
from .config import DEFAULT_MAX_RETRIES, resolve_api_key, resolve_base_url
from .errors import GLMConfigurationError
from .pair import ClientPair

if TYPE_CHECKING:  # the clients load with the first one made (glm_transport resolves them lazily)
    import httpx

    from .client import AsyncGLMClient, GLMClient

    _Timeout = float | httpx.Timeout | None
    _HTTPClient = httpx.Client | None
    _AsyncHTTPClient = httpx.AsyncClient | None
else:  # to pydantic: checked by the validators (``_timeout_value``, ``_an_httpx_client``)
    _Timeout = _HTTPClient = _AsyncHTTPClient = Any

__all__ = [
    "ALIASES",
    "DEFAULT_CHAT_MODEL",
    "DEFAULT_MAX_CONCURRENCY",
    "UNDOCUMENTED",
    "ChatOptions",
    "GLMOptions",
    "WebSearchOptions",
    "capped_batch_size",
    "is_credential",
    "json_kwargs",
    "normalize_options",
    "valid_names",
]

DEFAULT_CHAT_MODEL: Final = "glm-4.7"
DEFAULT_MAX_CONCURRENCY: Final = 8

# Other spellings of our options, as the OpenAI classes of LangChain (ChatOpenAI, OpenAIEmbeddings),
# LlamaIndex (OpenAI, OpenAILike, OpenAIEmbedding) and the community Zhipu classes spell them. An alias
# maps to the first of its targets the class has; an alias the class itself defines is left alone.
ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "openai_api_key": ("api_key",),
    "zhipuai_api_key": ("api_key",),
    "api_base": ("base_url",),
    "openai_api_base": ("base_url",),
    "zhipuai_api_base": ("base_url",),
    "request_timeout": ("timeout",),
    "async_http_client": ("http_async_client",),
    "max_completion_tokens": ("max_tokens",),
    "model": ("model_name",),
    "model_name": ("model",),
    "stop_sequences": ("stop",),
    "chunk_size": ("batch_size", "embed_batch_size"),
    "embed_batch_size": ("batch_size",),
    "batch_size": ("embed_batch_size",),
}

# Arguments of OpenAI-style classes with one behaviour here: request fields GLM does not document
# (wire notes §3.1), and switches whose other setting we do not have. The values at which GLM (or this
# package) behaves that way anyway are accepted and not sent; any other value is refused with the hint.
UNDOCUMENTED: Final[Mapping[str, tuple[tuple[Any, ...], str]]] = {
    "is_chat_model": ((None, True), "GLM models are chat models; complete() sends the prompt as a user message"),
    "reuse_client": ((None, True), "each instance keeps its own clients; call close() to release them"),
    "n": ((None, 1), "GLM returns one choice per request; make several calls for several answers"),
    "parallel_tool_calls": (
        (None,),
        "pass it per call: bind_tools(..., parallel_tool_calls=...) or chat_with_tools(allow_parallel_tool_calls=...)",
    ),
    "strict": ((None, False), "GLM has no strict tool schemas; with_structured_output validates on our side"),
    "frequency_penalty": ((None, 0, 0.0), "GLM has no penalties; use temperature or top_p"),
    "presence_penalty": ((None, 0, 0.0), "GLM has no penalties; use temperature or top_p"),
    "logprobs": ((None, False), "GLM returns no log probabilities"),
    "top_logprobs": ((None, 0), "GLM returns no log probabilities"),
    "logit_bias": ((None,), "GLM has no logit bias"),
}

_CREDENTIAL = re.compile(
    r"api[_-]?key|authori[sz]ation|^auth$|secret|passw|credential|bearer|cookie|(^|[_-])token$", re.IGNORECASE
)
_JSON_SCALARS = (str, int, float, bool, type(None))


def is_credential(name: str) -> bool:
    """Whether a request field or header name looks like it carries a credential."""
    return _CREDENTIAL.search(name) is not None


@functools.cache
def valid_names(model: type[BaseModel]) -> frozenset[str]:
    """The argument names ``model`` takes: its fields and their validation aliases."""
    names = set()
    for name, field in model.model_fields.items():
        names.add(name)
        alias = field.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        names.update(choice for choice in choices if isinstance(choice, str))
        if field.alias:
            names.add(field.alias)
    return frozenset(names)


def _suggest(name: str, valid: Collection[str]) -> str:
    close = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _check_undocumented(where: str, key: str, value: Any) -> None:
    neutral, hint = UNDOCUMENTED[key]
    if not any(value is v or (type(value) is type(v) and value == v) for v in neutral):
        raise GLMConfigurationError(f"{where}: {key}={value!r} is not supported by GLM ({hint})")


def normalize_options(data: Mapping[str, Any], valid: Collection[str], owner: str) -> dict[str, Any]:
    """``data`` with aliases renamed to ours; an unknown or unsupported argument raises.

    Args:
        data: the constructor's keyword arguments.
        valid: the names the class takes (``valid_names``).
        owner: the class name, for the error message.

    Raises:
        GLMConfigurationError: an argument the class does not take (naming the nearest valid one),
            an alias given together with its target, or an undocumented field at a value GLM cannot honour.
    """
    out = {key: value for key, value in data.items() if key in valid}
    for key, value in data.items():
        if key in valid:
            continue
        target = next((name for name in ALIASES.get(key, ()) if name in valid), None)
        if target is not None:
            if target in out and out[target] is not value:
                raise GLMConfigurationError(f"{owner}: {key!r} is another name for {target!r}; pass only one of them")
            out[target] = value
        elif key in UNDOCUMENTED:
            _check_undocumented(owner, key, value)
        else:
            raise GLMConfigurationError(f"{owner} got an unexpected argument {key!r}{_suggest(key, valid)}")
    return out


def _json_problem(value: Any, path: str) -> str | None:
    """Where ``value`` stops being plain JSON, or ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path} is {value!r}, which JSON cannot carry"
    if isinstance(value, _JSON_SCALARS):
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path} has the key {key!r}, not a string"
            problem = _json_problem(item, f"{path}[{key!r}]")
            if problem:
                return problem
        return None
    if isinstance(value, (list, tuple)):
        return next((p for i, item in enumerate(value) if (p := _json_problem(item, f"{path}[{i}]"))), None)
    return f"{path} is a {type(value).__name__}, not a JSON value"


def json_kwargs(name: str, values: Mapping[str, Any] | None, modelled: Collection[str] = ()) -> dict[str, Any]:
    """A free-form request dict checked at construction: JSON values only, no credential-like key,
    no field the class models itself (set that field instead, so it is validated), no field GLM does
    not document at a value GLM would ignore (``n=2``).

    Raises:
        GLMConfigurationError: naming the offending key.
    """
    values = dict(values or {})
    for key in values:
        if not isinstance(key, str):
            raise GLMConfigurationError(f"{name} keys must be strings, got {key!r}")
        if is_credential(key):
            raise GLMConfigurationError(
                f"{name}[{key!r}] looks like a credential; request bodies never carry one (use api_key=)"
            )
        if key in modelled:
            raise GLMConfigurationError(f"{name}[{key!r}]: pass {key}= itself, not inside {name}")
        if key in UNDOCUMENTED:
            _check_undocumented(name, key, values[key])
    problem = _json_problem(values, name)
    if problem:
        raise GLMConfigurationError(f"{problem}; request fields must be JSON values")
    return values


def capped_batch_size(value: int, name: str) -> int:
    """A batch size within GLM's embedding limit (wire notes §7): more is capped with a warning."""
    if value < 1:
        raise GLMConfigurationError(f"{name} must be at least 1, got {value}")
    if value > EMBEDDING_MAX_BATCH:
        warnings.warn(
            f"{name}={value} is above GLM's limit of {EMBEDDING_MAX_BATCH} texts per request; "
            f"using {EMBEDDING_MAX_BATCH}",
            UserWarning,
            stacklevel=4,
        )
        return EMBEDDING_MAX_BATCH
    return value


class GLMOptions(BaseModel):
    """Where and how to reach GLM, and the client pair the instance owns.

    The key and URL are resolved at construction (argument, else ``ZHIPUAI_API_KEY`` then
    ``ZAI_API_KEY``, else a clear ``GLMConfigurationError``), so a missing key or a bad URL fails there,
    not at the first call. Clients are made on first use and closed by ``close()``/``aclose()`` (or
    when the owner is garbage-collected); the user's own httpx clients are used and never closed.
    """

    api_key: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description="GLM API key; else ZHIPUAI_API_KEY, then ZAI_API_KEY."
    )
    base_url: str | None = Field(
        default=None,
        description="API base URL or one of china, international, china-coding, international-coding; "
        "else ZHIPUAI_BASE_URL; default: the China endpoint.",
    )
    # The httpx-typed fields are ``Any`` to pydantic and checked by validators below, so importing an
    # adapter does not import httpx (about 20 ms); the first client made does.
    timeout: _Timeout = Field(
        default=None, description="Seconds (or an httpx.Timeout) per connect/read/write; None: 300 s, 8 s to connect."
    )
    total_timeout: float | None = Field(
        default=None, gt=0, description="Seconds for a whole call, retries and streaming included (None: unbounded)."
    )
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, description="Retries after the first attempt.")
    use_jwt: bool = Field(default=False, description="Send a short-lived JWT signed with an id.secret key.")
    default_headers: dict[str, str] | None = Field(
        default=None,
        repr=False,
        description="Extra HTTP headers on every request; credential-like ones (a proxy's Authorization, say) "
        "are left out of repr and dumps.",
    )
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, gt=0, description="Async requests in flight at once.")
    # The in-flight governor (docs/scale.md); checked by the transport when the client is made.
    concurrency_tier: str | None = Field(
        default=None, description="In-flight governor: auto (default), V0-V3, adaptive, off; else GLM_CONCURRENCY_TIER."
    )
    concurrency_limits: dict[str, int] | None = Field(
        default=None, description='Requests in flight per model, e.g. {"glm-4-plus": 80, "*": 20}; wins over the tier.'
    )
    concurrency_redis_url: SecretStr | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description="Redis URL sharing the in-flight budget across processes ([redis] extra); may hold a password.",
    )
    http_client: _HTTPClient = Field(
        default=None, exclude=True, repr=False, description="An httpx.Client to send with; used, never closed."
    )
    http_async_client: _AsyncHTTPClient = Field(
        default=None, exclude=True, repr=False, description="An httpx.AsyncClient to send with; used, never closed."
    )

    _clients: ClientPair = PrivateAttr(default_factory=ClientPair)

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True, protected_namespaces=())

    # Free-form request dicts checked by ``json_kwargs`` at construction.
    _json_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, /, **data: Any) -> None:
        data = normalize_options(data, valid_names(type(self)), type(self).__name__)
        data["api_key"] = resolve_api_key(data.get("api_key"))
        data["base_url"] = resolve_base_url(data.get("base_url"))
        modelled = set(type(self).model_fields)
        for name in type(self)._json_fields:
            if data.get(name) is not None:
                data[name] = json_kwargs(name, data[name], modelled)
        super().__init__(**data)

    @_field_validator("timeout", mode="before")
    @classmethod
    def _timeout_value(cls, value: Any) -> Any:
        if value is None or (isinstance(value, (int, float, str)) and not isinstance(value, bool)):
            try:
                return None if value is None else float(value)
            except ValueError:
                pass
        elif isinstance(value, Mapping):  # ``to_dict``/``model_dump`` write an httpx.Timeout as its dict
            import httpx

            return httpx.Timeout(**value)
        elif _is_httpx(value, "Timeout"):
            return value
        raise ValueError(f"timeout must be seconds or an httpx.Timeout, got {type(value).__name__}")

    @_field_validator("http_client", "http_async_client", mode="before")
    @classmethod
    def _an_httpx_client(cls, value: Any, info: ValidationInfo) -> Any:
        kind = "AsyncClient" if info.field_name == "http_async_client" else "Client"
        if value is None or _is_httpx(value, kind):
            return value
        raise ValueError(f"{info.field_name} must be an httpx.{kind}, got {type(value).__name__}")

    # Every mode: LlamaIndex's to_json is json.dumps(to_dict()), a python-mode dump.
    @field_serializer("timeout")
    def _timeout_as_dict(self, value: _Timeout) -> Any:  # a float, an httpx.Timeout as its dict, or None
        return value if value is None or isinstance(value, float) else value.as_dict()

    @field_serializer("default_headers")
    def _headers_without_credentials(self, value: dict[str, str] | None) -> dict[str, str] | None:
        # A dump (LlamaIndex's to_dict, model_dump) never carries a credential, as for api_key.
        return None if value is None else {name: v for name, v in value.items() if not is_credential(name)}

    def __copy__(self) -> Self:
        # model_copy copies private attributes shallowly: the copy gets its own (empty) client pair.
        copied = super().__copy__()
        copied._clients = ClientPair()
        return copied

    def client_kwargs(self) -> dict[str, Any]:
        """The transport client's arguments."""
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "total_timeout": self.total_timeout,
            "default_headers": self.default_headers,
            "use_jwt": self.use_jwt,
            "concurrency_tier": self.concurrency_tier,
            "concurrency_limits": self.concurrency_limits,
            "concurrency_redis_url": self.concurrency_redis_url,
        }

    @property
    def client(self) -> GLMClient:
        """The ``GLMClient`` this instance owns (made on first use)."""
        return self._clients.sync(lambda: _transport.GLMClient(http_client=self.http_client, **self.client_kwargs()))

    @property
    def async_client(self) -> AsyncGLMClient:
        """The ``AsyncGLMClient`` this instance owns; its pool follows the running event loop."""
        return self._clients.async_(
            lambda: _transport.AsyncGLMClient(
                http_client=self.http_async_client, max_concurrency=self.max_concurrency, **self.client_kwargs()
            )
        )

    def close(self) -> None:
        """Close the sync client's connections (a client passed in is left open)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close both clients' connections."""
        await self._clients.aclose()


class ChatOptions(BaseModel):
    """The model parameters both chat classes take, with GLM's ranges (wire notes §3.1)."""

    model: str = Field(default=DEFAULT_CHAT_MODEL, description="GLM model id, e.g. glm-4.7, glm-4.5-air, glm-4.6v.")
    temperature: float | None = Field(
        default=None, ge=0.0, le=1.0, description="0 to 1; 0 is greedy decoding. None: the model's default."
    )
    top_p: float | None = Field(default=None, ge=0.01, le=1.0, description="Nucleus sampling, 0.01 to 1.")
    max_tokens: int | None = Field(default=None, gt=0, description="Most tokens to generate (also reasoning).")
    thinking: bool | dict[str, Any] | None = Field(
        default=None,
        description="True/False switches thinking; a dict is GLM's thinking object "
        "({'type': 'enabled' | 'disabled', 'clear_thinking': bool}). None: the model's default.",
    )
    preserve_thinking: bool = Field(
        default=False, description="Preserved thinking: send clear_thinking=false and earlier turns' reasoning back."
    )
    reasoning_effort: str | None = Field(
        default=None, description="GLM-5.2+: max, xhigh, high, medium, low, minimal, none."
    )


class WebSearchOptions(BaseModel):
    """The options of GLM's web search API both adapters' search classes take (wire notes §8b)."""

    search_engine: str | None = Field(
        default=None, description="search_std/search_pro/... on BigModel, search-prime on Z.ai; None: by endpoint."
    )
    count: int | None = Field(default=None, ge=1, le=50, description="Results per search; None: the API's 10.")
    search_domain_filter: str | None = Field(default=None, description="Only results from this domain.")
    search_recency_filter: Literal["oneDay", "oneWeek", "oneMonth", "oneYear", "noLimit"] | None = Field(
        default=None, description="Only results published within this period."
    )
    content_size: Literal["medium", "high"] | None = Field(
        default=None, description="How much page text each result carries."
    )

    def search_kwargs(self, count: int | None = None) -> dict[str, Any]:
        """``web_search`` arguments: ``count`` (a call's own) else the instance's; unset filters not sent."""
        filters = {
            "search_domain_filter": self.search_domain_filter,
            "search_recency_filter": self.search_recency_filter,
            "content_size": self.content_size,
        }
        return {
            "search_engine": self.search_engine,
            "count": count if count is not None else self.count,
            **{key: value for key, value in filters.items() if value is not None},
        }


def _is_httpx(value: Any, name: str) -> bool:
    """``isinstance(value, httpx.<name>)`` without importing httpx: if it is not loaded, nothing is one."""
    httpx = sys.modules.get("httpx")
    return httpx is not None and isinstance(value, getattr(httpx, name))
