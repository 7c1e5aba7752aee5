#!/usr/bin/env bash
# The main job: a transport round trip, a LangChain chain and agent, a LlamaIndex RAG query.
# With no ZHIPUAI_API_KEY / ZAI_API_KEY set it runs against the bundled local GLM server.
source "$(dirname "$0")/_venv.sh" "all,examples"
exec .venv/bin/python examples/demo.py "$@"
