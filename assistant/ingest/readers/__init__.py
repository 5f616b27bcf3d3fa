"""Readers: one per format. Each turns a file into a ``Document`` (stored text + structure).

- ``profile``: MGI profile text (.md/.txt): section tree, footnotes, KEY SOURCES entries.
- ``pdf``: any PDF, page by page, running headers/footers removed, page spans kept.
- ``law``: law structure (Título/Capítulo/Artículo/Transitorios) on top of PDF text.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from assistant.records import Document, DocumentMeta


class ReaderError(Exception):
    """A file that cannot be read; the message names the reason."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def read_text_file(path: Path) -> tuple[str, str | None]:
    """A text file's content and a note on its encoding when it was not plain UTF-8.

    A BOM selects UTF-8/16/32; otherwise UTF-8, then UTF-16 when NUL bytes say so, then
    cp1252 (latin-1 for its undefined bytes). Binary content is refused (ReaderError).
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReaderError(f"{path.name}: cannot open file: {error}") from error
    if not data.strip():
        raise ReaderError(f"{path.name}: empty file")
    note = None
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if data[1::2].count(0) > len(data) // 4:
                encoding = "utf-16-le"
            elif data[0::2].count(0) > len(data) // 4:
                encoding = "utf-16-be"
            else:
                encoding = "cp1252"
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            text = data.decode("latin-1" if encoding == "cp1252" else encoding, errors="replace")
        if encoding != "utf-8-sig":
            note = f"decoded as {encoding} (not UTF-8)"
    if len(_BINARY.findall(text[:100_000])) > len(text[:100_000]) // 100:
        raise ReaderError(f"{path.name}: not a text file (binary content)")
    return text, note


def read_document(path: Path, meta: DocumentMeta, max_pages: int | None = None) -> Document:
    """Read one file into a Document, choosing the reader by extension and kind.

    PDFs with more than ``max_pages`` pages are refused (ReaderError "too many pages").
    """
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from assistant.ingest.readers.law import add_law_structure
        from assistant.ingest.readers.pdf import read_pdf

        document = read_pdf(path, meta, max_pages)
        if meta.kind in ("law", "constitution", "other"):
            document = add_law_structure(document)
        return document
    if suffix in (".md", ".txt"):
        from assistant.ingest.readers.profile import read_profile

        return read_profile(path, meta)
    raise ReaderError(f"{path.name}: unsupported file type {suffix or '(none)'}")
