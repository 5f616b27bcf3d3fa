"""A tiny hand-made index for the fast tier: real SparseIndex (bm25s) and DenseIndex (FAISS)
over a few chunks, with hand-made unit vectors and a fake query encoder — no model, no PDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.records import Article, Chunk, Document, DocumentMeta, Page, Section
from assistant.search.dense import DenseIndex
from assistant.search.sparse import SparseIndex
from assistant.storage import EmbedderEntry, IndexedDocument, LoadedIndex, Manifest
from assistant.text import tokenize

PROFILE = (
    "Migration trends\n\n"
    "Mexico City hosts many migrants from Central America. "
    "The community kitchens serve hot meals to people in transit.\n\n"
    "Health\n\n"
    "Migrants have access to public health services regardless of their status. "
    "The city opened 12 shelters in 2019."
)
LAW = (
    "Artículo 8. Los migrantes tendrán derecho a recibir cualquier tipo de atención médica. "
    "Artículo 9. Los jueces u oficiales del Registro Civil no podrán negar la inscripción."
)
# One axis per topic; a query's fake vector is the mean of the axes its words name.
AXES = {"kitchen": 0, "meal": 0, "health": 1, "medical": 1, "medica": 1, "salud": 1, "shelter": 2,
        "registry": 3, "registro": 3, "migrant": 4, "migrante": 4}
DIM = 8


def _vector(text: str) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    for token in tokenize(text):
        for word, axis in AXES.items():
            if token.startswith(word):
                vector[axis] += 1.0
    vector[DIM - 1] += 0.1  # never all-zero
    return vector / np.linalg.norm(vector)


def fake_encode(backend: str, text: str) -> np.ndarray:
    """Stands in for Assistant.query_vector: (backend, text) → unit vector."""
    return _vector(text)


def _chunks(document: Document, spans: list[tuple[int, int]], section: list[str] | None = None) -> list[Chunk]:
    chunks = []
    for n, (start, end) in enumerate(spans):
        article = document.article_at(start)
        chunks.append(Chunk(id=f"{document.id}:{n}", document_id=document.id, text=document.text[start:end],
                            start=start, end=end, section_path=document.section_path(start) if section is None else section,
                            article=article.label if article else None, page=document.page_at(start)))
    return chunks


def tiny_documents() -> dict[str, Document]:
    profile = Document(
        meta=DocumentMeta(id="profile", file="profile.md", title="Tiny Profile", kind="profile", language="en"),
        text=PROFILE,
        sections=[Section(start=0, end=PROFILE.index("Health"), title="Migration trends", level=1, path=["Migration trends"]),
                  Section(start=PROFILE.index("Health"), end=len(PROFILE), title="Health", level=1, path=["Health"])],
    )
    second = LAW.index("Artículo 9")
    law = Document(
        meta=DocumentMeta(id="law", file="law.pdf", title="Ley de Prueba", kind="law", language="es"),
        text=LAW, pages=[Page(start=0, end=len(LAW), number=1)],
        articles=[Article(start=0, end=second, label="Artículo 8", number="8"),
                  Article(start=second, end=len(LAW), label="Artículo 9", number="9")],
    )
    return {"profile": profile, "law": law}


def tiny_index(path: Path = Path("/nonexistent")) -> LoadedIndex:
    documents = tiny_documents()
    profile, law = documents["profile"], documents["law"]
    p = profile.text
    chunks = _chunks(profile, [(p.index("Mexico City"), p.index("\n\nHealth")), (p.index("Migrants have"), len(p))])
    second = law.text.index("Artículo 9")
    chunks += _chunks(law, [(0, second - 1), (second, len(law.text))])
    vectors = np.stack([_vector(c.text) for c in chunks])
    manifest = Manifest(documents={d.id: IndexedDocument(file=d.meta.file, sha256="0" * 64) for d in documents.values()},
                        embedders={"fake": EmbedderEntry(model="fake", dim=DIM, file="dense-fake.faiss")})
    return LoadedIndex(path=path, manifest=manifest, documents=documents, chunks=chunks,
                       sparse=SparseIndex.build([tokenize(c.text) for c in chunks]),
                       dense={"fake": DenseIndex.build(vectors)})


class FakeEmbedder:
    """The Embedder interface over the tiny index's topic axes."""

    name = "fake"
    dim = DIM
    max_tokens = 512

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([_vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return _vector(text)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def tiny_assistant(**settings):
    """An Assistant over the tiny index with the fake embedder (no model is loaded)."""
    from assistant.core import Assistant
    from assistant.settings import Settings

    config = Settings(embedder="fake", refusal_min_z={"fake": 1.0}, _env_file=None, **settings)
    return Assistant(config, tiny_index(), embedders={"fake": FakeEmbedder()})
