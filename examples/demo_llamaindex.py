"""The LlamaIndex part of the demo: a small RAG query. A few in-memory documents are embedded with
GLMEmbedding into a VectorStoreIndex, and GLM streams the answer, citing the source nodes it used.
Reads ZHIPUAI_API_KEY / ZHIPUAI_BASE_URL like any user code; examples/demo.py points them at the
bundled local server when no key is set."""

from __future__ import annotations

import os

from llama_index.core import Document, Settings, VectorStoreIndex

from llamaindex_glm import GLM, GLMEmbedding, GLMTokenizer

CHAT_MODEL = os.environ.get("GLM_DEMO_MODEL", "glm-4.7")
MAX_SHOWN = 240  # characters of the answer to print
QUESTION = "Which GLM model should I use for images, and how big is GLM-4.7's context window?"
DOCUMENTS = {
    "models.md": "GLM-4.7 is Zhipu AI's flagship text model, with a 200K-token context window and thinking on.",
    "vision.md": "GLM-4.6V reads images and video; send pictures to it as image parts of a user message.",
    "embeddings.md": "embedding-3 returns vectors of 256 to 2048 dimensions and takes up to 64 texts per request.",
    "llamas.md": "Llamas live in the Andes mountains of South America and carry loads for farmers.",
}


def main() -> None:
    print("=== LlamaIndex: RAG with GLMEmbedding + GLM (VectorStoreIndex, streamed query engine)")
    Settings.tokenizer = GLMTokenizer()  # offline token counts: nothing is downloaded
    embed_model = GLMEmbedding(model_name="embedding-3", dimensions=512)
    llm = GLM(model=CHAT_MODEL)
    try:
        documents = [Document(text=text, metadata={"source": name}) for name, text in DOCUMENTS.items()]
        index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
        print(f"indexed {len(documents)} documents in one embeddings request")
        engine = index.as_query_engine(llm=llm, similarity_top_k=2, streaming=True)
        print(f"question: {QUESTION}")
        response = engine.query(QUESTION)
        print("answer (streamed): ", end="", flush=True)
        shown = 0
        for token in response.response_gen:
            token = token.replace("\n", " ") if shown else token.lstrip()
            if shown < MAX_SHOWN:
                print(token[: MAX_SHOWN - shown], end="", flush=True)
            shown += len(token)
        print(" [...]" if shown > MAX_SHOWN else "")
        print("sources:")
        for i, source in enumerate(response.source_nodes, 1):
            print(f"  [{i}] {source.node.metadata['source']} (score {source.score or 0:.3f})")
    finally:
        llm.close()
        embed_model.close()


if __name__ == "__main__":
    main()
