"""The README's main job: the demo runs end to end against the bundled server when no key is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_offline_and_says_its_answers_are_scripted() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ZHIPUAI_API_KEY", "ZAI_API_KEY", "ZHIPUAI_BASE_URL")}
    done = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", str(ROOT / "examples" / "demo.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "SCRIPTED" in out and "bundled local GLM server" in out
    for section in ("=== glm_transport", "=== LangChain", "=== LlamaIndex"):
        assert section in out
    assert "tool call: get_weather" in out and "embedding: 256 dimensions" in out
    assert "create_agent" in out and "final answer:" in out
    assert "sources:" in out
    assert "parsed handbook.pdf: 'The Aurora X2 heat pump carries a warranty of 24 months.'" in out
    assert "Traceback" not in done.stderr
