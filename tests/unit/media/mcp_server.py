"""A small MCP server over stdio (the ``mcp`` package's FastMCP), started by the client-side MCP agent
tests as a subprocess: ``python tests/unit/media/mcp_server.py``."""

from __future__ import annotations

from mcp.server.fastmcp import FastMCP

server = FastMCP("warranty-desk")

WARRANTIES = {"aurora x2": 24, "borealis": 36}


@server.tool()
def lookup_warranty(product: str) -> str:
    """Look up how many months of warranty a product has.

    Args:
        product: the product name, e.g. "Aurora X2".
    """
    months = WARRANTIES.get(product.strip().lower(), 12)
    return f"The warranty for {product} is {months} months."


if __name__ == "__main__":
    server.run("stdio")
