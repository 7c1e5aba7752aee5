#!/usr/bin/env bash
# One benchmark in its own venv: `bash scripts/bench.sh langchain` runs `python -m bench.langchain`
# (transport, langchain, llamaindex, rerank, soak, scale). The peers live in .venv-bench, apart from
# the test venv, because the zhipuai SDK (a peer, via llama-index-llms-zhipuai) pins PyJWT<2.9 while
# the MCP SDK in the dev extra needs PyJWT>=2.10.1: one venv cannot hold both.
# BENCH_STRICT=1 makes a missed limit exit 1.
VENV=.venv-bench source "$(dirname "$0")/_venv.sh" "all,bench"
exec .venv-bench/bin/python -m "bench.${1:?which benchmark: transport, langchain, llamaindex, rerank, soak, scale}" "${@:2}"
