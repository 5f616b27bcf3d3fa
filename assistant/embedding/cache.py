"""An on-disk embedding cache keyed by (model, sha256 of the text embedded).

Rebuilds re-embed only chunks whose text changed. SQLite (stdlib) keeps it one file,
safe to interrupt: a killed build loses at most the batch being written.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np


def text_key(text: str) -> str:
    """Cache key of one text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors by (model name, text hash); ``embed`` fills misses through a callback."""

    def __init__(self, path: Path, model: str, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=120)  # builds may run side by side
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vector BLOB, "
            "PRIMARY KEY (model, key))"
        )
        self.model = model
        self.dim = dim
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for offset in range(0, len(keys), 500):
            batch = keys[offset : offset + 500]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})",
                [self.model, *batch],
            )
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self.dim,):
                    found[key] = vector
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
            [(self.model, key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in items.items()],
        )
        self._db.commit()

    def embed(
        self,
        texts: list[str],
        encode: Callable[[list[str]], np.ndarray],
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Vectors for ``texts`` in order: cached ones read, the rest encoded and stored."""
        keys = [text_key(text) for text in texts]
        found = self.get_many(sorted(set(keys)))
        self.hits += sum(1 for key in keys if key in found)
        if progress:
            progress(sum(1 for key in keys if key in found))
        missing = [i for i, key in enumerate(keys) if key not in found]
        seen: set[str] = set()
        todo = [i for i in missing if not (keys[i] in seen or seen.add(keys[i]))]
        self.misses += len(todo)
        # Batch texts of similar length together (as model.encode does within one call): a
        # batch pads to its longest text, so unsorted batches cost ~20% more encode time.
        todo.sort(key=lambda i: len(texts[i]))
        for offset in range(0, len(todo), batch_size):
            batch = todo[offset : offset + batch_size]
            vectors = encode([texts[i] for i in batch])
            fresh = {keys[i]: vectors[j] for j, i in enumerate(batch)}
            self.put_many(fresh)
            found.update(fresh)
            if progress:
                progress(len(batch))
        if progress and len(missing) > len(todo):
            progress(len(missing) - len(todo))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32)

    def close(self) -> None:
        self._db.close()


# -- seeds: a shipped artifact of vectors, so a fresh clone need not re-embed the corpus ---


SEED_SHARD_VECTORS = 8000  # vectors per seed file: each stays well under 5 MB in the repository


def seed_files(path: Path) -> list[Path]:
    """The seed at ``path`` and its shards ``<stem>.1.npz``, ``<stem>.2.npz`` …, in order."""
    shards = sorted(path.parent.glob(f"{path.stem}.*.npz"),
                    key=lambda p: int(p.suffixes[-2][1:]) if p.suffixes[-2][1:].isdigit() else -1)
    return ([path] if path.exists() else []) + [p for p in shards if p.suffixes[-2][1:].isdigit()]


def write_seed(path: Path, keys: list[str], vectors: np.ndarray,
               shard_vectors: int = SEED_SHARD_VECTORS) -> list[Path]:
    """Save vectors keyed by text hash, int8-quantised with one scale per vector (cosine
    error < 0.001), ``shard_vectors`` to a file. The key *is* the verification: a vector is
    only ever used for the exact text it was computed from. Returns the files written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    unique = dict(zip(keys, np.asarray(vectors, dtype=np.float32)))
    items = list(unique.items())
    for stale in seed_files(path):
        stale.unlink()
    written = []
    for n, first in enumerate(range(0, len(items), shard_vectors)):
        target = path if n == 0 else path.with_name(f"{path.stem}.{n}.npz")
        _write_seed_file(target, items[first : first + shard_vectors])
        written.append(target)
    return written


def _write_seed_file(path: Path, items: list[tuple[str, np.ndarray]]) -> None:
    matrix = np.stack([vector for _, vector in items])
    scales = np.abs(matrix).max(axis=1, keepdims=True) / 127.0
    scales[scales == 0] = 1.0
    digests = np.frombuffer(b"".join(bytes.fromhex(k) for k, _ in items), dtype=np.uint8)
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(temporary, keys=digests.reshape(-1, 32),
                        vectors=np.round(matrix / scales).astype(np.int8), scales=scales.astype(np.float32))
    temporary.replace(path)


def read_seed(path: Path, wanted: set[str]) -> dict[str, np.ndarray]:
    """Seed vectors (from every shard) for the wanted text hashes, re-normalised to unit length."""
    found = {}
    for file in seed_files(path):
        try:
            data = np.load(file)
            keys = [row.tobytes().hex() for row in data["keys"]]
            vectors = data["vectors"].astype(np.float32) * data["scales"]
        except (OSError, ValueError, KeyError):
            continue
        for key, vector in zip(keys, vectors):
            if key in wanted:
                norm = float(np.linalg.norm(vector)) or 1.0
                found[key] = vector / norm
    return found


def plant_seed(cache: EmbeddingCache, seed: Path, texts: list[str]) -> None:
    """Copy shipped seed vectors for these texts into the cache (only missing ones)."""
    keys = {text_key(text) for text in texts}
    missing = keys - set(cache.get_many(sorted(keys)))
    if missing:
        found = read_seed(seed, missing)
        if found:
            cache.put_many(found)
