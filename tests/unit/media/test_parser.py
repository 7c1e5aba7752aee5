"""The file parser in the transport: task tiers polled to the end, prime-sync at once, limits checked
before upload, failures and deadlines, many files in order with bounded concurrency. Each behaviour
runs on the sync and the async client over a real socket to the local server."""

from __future__ import annotations

import threading

import pytest

from glm_transport import GLMTimeoutError
from glm_transport.errors import GLMInvalidRequestError
from glm_transport.media import (
    AsyncFileParser,
    FileParser,
    GLMTaskFailedError,
    ParsedFile,
    ParseFailure,
    PollPolicy,
    check_parse_input,
)
from glm_transport.testing import LocalGLMServer, Reply
from glm_transport.testing.documents import sample_docx, sample_pdf, sample_png

from .conftest import Mode

FAST = PollPolicy(timeout=30, initial=0.01, max_interval=0.05)
PDF = sample_pdf([["Quarterly report", "Revenue grew 12% to 4.2 million yuan."], "Outlook: steady."])


def parser(mode: Mode, tier: str = "lite", **kwargs: object) -> FileParser:
    return mode.make(FileParser, AsyncFileParser, tier, poll=kwargs.pop("poll", FAST), **kwargs)  # type: ignore[no-any-return]


@pytest.mark.parametrize("tier", ["lite", "expert", "prime"])
def test_a_task_tier_uploads_then_polls_until_the_text_is_ready(
    mode: Mode, glm_server: LocalGLMServer, tier: str
) -> None:
    glm_server.task_polls = 2
    seen = []
    parsed = mode(parser(mode, tier).parse(("report.pdf", PDF), on_progress=seen.append))

    assert parsed.text == "Quarterly report\nRevenue grew 12% to 4.2 million yuan.\n\nOutlook: steady."
    assert (parsed.name, parsed.tier) == ("report.pdf", tier)
    assert [p.status for p in seen] == ["processing", "processing", "succeeded"]
    assert all(p.task_id == parsed.task_id for p in seen)
    create, *polls = glm_server.requests
    assert create.path.endswith("/files/parser/create")
    assert create.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="tool_type"\r\n\r\n' + tier.encode() in create.body
    assert b'name="file_type"\r\n\r\nPDF' in create.body
    assert [p.path.rsplit("/v4", 1)[1] for p in polls] == [f"/files/parser/result/{parsed.task_id}/text"] * 3


def test_prime_sync_answers_in_one_request(mode: Mode, glm_server: LocalGLMServer) -> None:
    parsed = mode(parser(mode, "prime-sync").parse(("notes.docx", sample_docx(["Minutes", "Ship on Friday."]))))

    assert parsed.text == "Minutes\n\nShip on Friday."
    [request] = glm_server.requests
    assert request.path.endswith("/files/parser/sync")
    assert b"prime-sync" in request.body


def test_download_link_results_carry_the_package_url(mode: Mode, glm_server: LocalGLMServer) -> None:
    parsed = mode(parser(mode, result="download_link").parse(("scan.png", sample_png())))

    assert parsed.text is None
    assert parsed.download_url is not None and parsed.download_url.endswith(f"{parsed.task_id}.zip")
    assert glm_server.requests[-1].path.endswith("/download_link")


def test_a_path_on_disk_is_read_and_named(mode: Mode, tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "report.pdf"  # type: ignore[operator]
    path.write_bytes(PDF)
    assert mode(parser(mode).parse(path)).name == "report.pdf"


@pytest.mark.parametrize(
    ("name", "size", "tier", "message"),
    [
        (
            "notes.docx",
            10,
            "expert",
            "cannot read 'notes.docx' (.docx): it takes pdf; the lite, prime, prime-sync tier takes it",
        ),
        ("page.html", 10, "lite", "the prime, prime-sync tier takes it"),
        ("archive.zip", 10, "prime", "cannot read 'archive.zip' (.zip)"),
        ("big.pdf", 51 * 2**20, "lite", "'big.pdf' is 51.0 MB; the lite parser takes .pdf files up to 50 MB"),
        ("photo.png", 6 * 2**20, "prime", "takes .png files up to 5 MB"),
        ("sheet.csv", 11 * 2**20, "prime-sync", "takes .csv files up to 10 MB"),
        ("empty.txt", 0, "lite", "'empty.txt' is empty"),
        ("a.pdf", 1, "turbo", "parser tier must be one of lite, expert, prime, prime-sync; got 'turbo'"),
    ],
)
def test_type_and_size_limits_per_tier_are_checked_before_upload(name: str, size: int, tier: str, message: str) -> None:
    with pytest.raises(GLMInvalidRequestError) as caught:
        check_parse_input(name, size, tier)
    assert message in str(caught.value)


def test_limits_allow_what_each_tier_takes() -> None:
    assert check_parse_input("a.pdf", 100 * 2**20, "prime-sync") == "PDF"
    assert check_parse_input("b.PNG", 5 * 2**20, "lite") == "PNG"
    assert check_parse_input("c.wps", 10, "prime-sync") == "WPS"


def test_a_refused_file_sends_nothing(mode: Mode, glm_server: LocalGLMServer) -> None:
    with pytest.raises(GLMInvalidRequestError, match="expert parser cannot read"):
        mode(parser(mode, "expert").parse(("notes.docx", b"PK")))
    assert glm_server.requests == []


def test_a_failed_task_raises_with_its_task_id(mode: Mode) -> None:
    with pytest.raises(GLMTaskFailedError, match="could not parse 'broken.pdf'") as caught:
        mode(parser(mode).parse(("broken.pdf", b"not a pdf at all")))
    assert caught.value.task_id


def test_polling_stops_at_the_deadline(mode: Mode, glm_server: LocalGLMServer) -> None:
    glm_server.task_polls = 1000
    slow = PollPolicy(timeout=0.2, initial=0.05, max_interval=0.05)
    with pytest.raises(GLMTimeoutError, match="still 'processing'"):
        mode(parser(mode, poll=slow).parse(("report.pdf", PDF)))
    polls = [r for r in glm_server.requests if "/result/" in r.path]
    assert 2 <= len(polls) < 10


def test_the_upload_is_retried_by_the_one_retry_layer(mode: Mode, glm_server: LocalGLMServer) -> None:
    glm_server.enqueue(Reply.status(503, headers={"Retry-After": "0"}))
    parsed = mode(parser(mode, "prime-sync").parse(("report.pdf", PDF)))
    assert parsed.text and parsed.text.startswith("Quarterly report")
    first, second = glm_server.requests
    assert first.body == second.body  # the same multipart bytes, boundary included


def test_many_files_keep_input_order_and_a_failure_loses_nothing(mode: Mode, glm_server: LocalGLMServer) -> None:
    files = [
        ("a.pdf", sample_pdf(["alpha"])),
        ("b.pdf", b"%PDF-broken"),
        ("c.txt", b"gamma"),
        ("d.docx", sample_docx(["delta"])),
        ("e.md", b"# epsilon"),
    ]
    progress = []
    outcomes = mode(parser(mode, max_concurrency=2).parse_many(files, on_progress=progress.append))

    assert [o.name for o in outcomes] == ["a.pdf", "b.pdf", "c.txt", "d.docx", "e.md"]
    assert [o.text if isinstance(o, ParsedFile) else None for o in outcomes] == [
        "alpha",
        None,
        "gamma",
        "delta",
        "# epsilon",
    ]
    failure = outcomes[1]
    assert isinstance(failure, ParseFailure) and isinstance(failure.error, GLMTaskFailedError)
    assert sorted(p.name for p in progress) == sorted(name for name, _ in files)
    assert [p.done for p in progress] == [1, 2, 3, 4, 5]
    assert [p.ok for p in progress if p.name == "b.pdf"] == [False]


def test_a_missing_file_among_many_is_reported_in_its_place(mode: Mode, tmp_path: pytest.TempPathFactory) -> None:
    missing = tmp_path / "gone.pdf"  # type: ignore[operator]
    outcomes = mode(parser(mode).parse_many([("a.txt", b"alpha"), missing]))

    assert isinstance(outcomes[0], ParsedFile) and outcomes[0].text == "alpha"
    assert isinstance(outcomes[1], ParseFailure) and isinstance(outcomes[1].error, FileNotFoundError)
    assert outcomes[1].name == "gone.pdf"


def test_many_files_are_parsed_at_most_max_concurrency_at_a_time(mode: Mode, glm_server: LocalGLMServer) -> None:
    glm_server.task_polls = 3
    # A file is in flight from its task's creation until its progress report.
    live, peak, lock = [0], [0], threading.Lock()

    original = glm_server._app.tasks.add

    def counting_add(*args: object, **kwargs: object) -> None:
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        original(*args, **kwargs)  # type: ignore[arg-type]

    glm_server._app.tasks.add = counting_add  # type: ignore[method-assign]

    def finished(progress: object) -> None:
        with lock:
            live[0] -= 1

    files = [(f"{i}.txt", f"file {i}".encode()) for i in range(8)]
    outcomes = mode(parser(mode, max_concurrency=3).parse_many(files, on_progress=finished))

    assert [o.text for o in outcomes if isinstance(o, ParsedFile)] == [f"file {i}" for i in range(8)]
    assert 1 <= peak[0] <= 3
