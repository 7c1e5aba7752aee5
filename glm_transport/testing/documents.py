"""Small documents for tests and docs, and the local server's way of reading them.

Writers: ``sample_pdf`` (a valid PDF 1.4 with one page per item, text in Helvetica), ``sample_docx``
(a minimal WordprocessingML package) and ``sample_png`` (a blank RGB image). They are written here by
hand, with the standard library, because the PDFs a pure-Python writer such as fpdf2 makes compress
their content streams and pull in Pillow; 60 lines keep the tests free of a dependency.

``extract_text`` is the local parser's "OCR": the text-showing operators of uncompressed or Flate
content streams of a PDF, the ``w:t`` runs of a DOCX (and the text runs of other OOXML files), text
files as they are, and a one-line description of an image. Anything it cannot read raises
``ValueError``, which the server reports as a failed parse. pypdf would read more PDFs, but the
local server needs only the standard library and PyJWT (see the package docstring), and the ~50
lines here read every PDF the writers above make, plain or Flate-compressed.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence

__all__ = ["extract_text", "sample_docx", "sample_pdf", "sample_png"]


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def sample_pdf(pages: Sequence[str | Sequence[str]]) -> bytes:
    """A PDF with one page per item of ``pages`` (a string or a list of lines; Latin-1 text)."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for page in pages:
        lines = [page] if isinstance(page, str) else list(page)
        ops = ["BT /F1 12 Tf 14 TL 72 720 Td"] + [f"({_pdf_string(line)}) Tj T*" for line in lines] + ["ET"]
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content, 0)
        )
        kids.append(len(objects))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    font = len(objects)
    objects = [obj.replace(b"/F1 0 0 R", b"/F1 %d 0 R" % font) for obj in objects]
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


_DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sample_docx(paragraphs: Sequence[str]) -> bytes:
    """A .docx with one paragraph per item."""
    body = "".join(f"<w:p><w:r><w:t>{_xml_escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _DOCX_TYPES)
        package.writestr("_rels/.rels", _DOCX_RELS)
        package.writestr("word/document.xml", document)
    return out.getvalue()


def sample_png(width: int = 8, height: int = 8) -> bytes:
    """A blank white RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff" * (3 * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- reading

_STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_SHOW = re.compile(rb"\((?:\\.|[^\\)])*\)\s*(?:Tj|'|\")|\[(?:[^\]]*)\]\s*TJ|T\*|Td|TD", re.DOTALL)
_LITERAL = re.compile(rb"\(((?:\\.|[^\\)])*)\)", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> str:
    out = re.sub(rb"\\([nrtbf()\\])", lambda m: _ESCAPES.get(m[1], m[1]), raw)
    return out.decode("latin-1")


def _pdf_text(data: bytes) -> str:
    if not data.startswith(b"%PDF-"):
        raise ValueError("not a PDF file")
    pages = []
    for head, stream in _STREAM.findall(data):
        if b"/FlateDecode" in head:
            stream = zlib.decompress(stream)
        lines, line = [], ""
        for op in _SHOW.finditer(stream):
            token = op[0]
            if token in (b"T*", b"Td", b"TD"):
                lines.append(line)
                line = ""
            else:
                line += "".join(_unescape(m) for m in _LITERAL.findall(token))
        lines.append(line)
        text = "\n".join(part for part in lines if part.strip())
        if text:
            pages.append(text)
    if not pages:
        raise ValueError("no text found in the PDF")
    return "\n\n".join(pages)


def _ooxml_text(data: bytes) -> str:
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError("not an Office Open XML file") from None
    with package:
        names = [n for n in package.namelist() if n.endswith(".xml") and not n.startswith(("[", "_rels", "docProps"))]
        paragraphs = []
        for name in sorted(names):
            xml = package.read(name).decode("utf-8", "replace")
            for paragraph in re.findall(r"<(?:w|a):p[ >].*?</(?:w|a):p>", xml, re.DOTALL):
                runs = re.findall(r"<(?:w|a):t(?: [^>]*)?>(.*?)</(?:w|a):t>", paragraph, re.DOTALL)
                text = "".join(runs).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                if text.strip():
                    paragraphs.append(text)
    if not paragraphs:
        raise ValueError("no text found in the document")
    return "\n\n".join(paragraphs)


def _image_text(data: bytes, file_type: str) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        width, height = struct.unpack(">II", data[16:24])
        return f"An image ({width}x{height} pixels, PNG) with no text."
    if data.startswith(b"\xff\xd8"):
        return "An image (JPEG) with no text."
    raise ValueError(f"not a readable {file_type.upper()} image")


def extract_text(data: bytes, file_type: str) -> str:
    """The text of a document of ``file_type`` (``pdf``, ``docx``, ``txt``, ...); ``ValueError`` if unreadable."""
    kind = file_type.lower()
    if kind == "pdf":
        return _pdf_text(data)
    if kind in ("docx", "xlsx", "pptx"):
        return _ooxml_text(data)
    if kind in ("png", "jpg", "jpeg"):
        return _image_text(data, kind)
    if kind in ("txt", "md", "csv", "html"):
        text = data.decode("utf-8")
        return re.sub(r"<[^>]+>", " ", text) if kind == "html" else text
    raise ValueError(f"the local server cannot read .{kind} files")
