"""``python -m glm_transport.testing``: run the local GLM server until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from ._server import LocalGLMServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m glm_transport.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument("--api-key", default="test-key", help="the accepted key (default test-key)")
    keys.add_argument("--any-key", action="store_true", help="accept any non-empty bearer token")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stream-usage", choices=("final", "separate"), default="final")
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument(
        "--fault-retry-after", type=float, default=None, help="Retry-After of random 429/503 (default: none, as GLM)"
    )
    parser.add_argument("--inflight-limit", type=int, default=None, help="requests in flight per model (429/1302)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every model request takes")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    server = LocalGLMServer(
        api_key=None if args.any_key else args.api_key,
        host=args.host,
        port=args.port,
        fault_rate=args.fault_rate,
        seed=args.seed,
        stream_usage=args.stream_usage,
        slow_seconds=args.slow_seconds,
        fault_retry_after=args.fault_retry_after,
        inflight_limit=args.inflight_limit,
        latency=args.latency,
    )
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    with server:
        print(f"GLM local server listening on {server.base_url}", flush=True)
        while not done.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
