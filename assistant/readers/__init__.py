"""Readers: one per format. Each turns a file into a ``Document`` (stored text + structure).

- ``profile``: MGI profile text (.md/.txt): section tree, footnotes, KEY SOURCES entries.
- ``pdf``: any PDF, page by page, running headers/footers removed, page spans kept.
- ``law``: law structure (Título/Capítulo/Artículo/Transitorios) on top of PDF text.
"""

from __future__ import annotations

from pathlib import Path

from ..records import Document, DocumentMeta


class ReaderError(Exception):
    """A file that cannot be read; the message names the reason."""


def read_document(path: Path, meta: DocumentMeta) -> Document:
    """Read one file into a Document, choosing the reader by extension and kind."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from .law import read_law_pdf
        from .pdf import read_pdf

        document = read_pdf(path, meta)
        if meta.kind in ("law", "constitution", "other"):
            document = read_law_pdf(document)
        return document
    if suffix in (".md", ".txt"):
        from .profile import read_profile

        return read_profile(path, meta)
    raise ReaderError(f"{path.name}: unsupported file type {suffix or '(none)'}")
