"""Training the learned ranker: candidates + features + labels → a small shipped model.

Labels come from the evaluation's relevance rule (assistant.evaluation.metrics
``passage_matches`` and ``same_document``): a candidate chunk is relevant when it matches
one of the question's evidence strings. Only the training files (eval/dev.jsonl and
eval/tune.jsonl) are read; models and feature sets are compared by cross-validation
grouped by question (every candidate of a question falls in the same fold), scored by the
mean evidence recall@5 and MRR of the reranked candidates.

``mgi train-ranker`` (``register(app)``) runs it and writes the model file.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.search.features import FEATURES
from assistant.search.learned import export_model

DEFAULT_TRAINING = ("eval/dev.jsonl", "eval/tune.jsonl", "eval/tune2.jsonl", "eval/tune3.jsonl", "eval/tune4.jsonl",
                    "eval/tune5.jsonl", "eval/tune6.jsonl", "eval/tune7.jsonl", "eval/tune8.jsonl", "eval/tune9.jsonl",
                    "eval/tune10.jsonl", "eval/tune11.jsonl", "eval/tune12.jsonl", "eval/tune13.jsonl",
                    "eval/tune14.jsonl")
# Chosen by grouped cross-validation on the training files (docs/retrieval.md): MiniLM's
# cosines (dense2*) did not raise recall@5 and would cost a second query encode; of the
# sentence max-sim signals (every quotable sentence has a vector) the cosine itself helps,
# its gap to the best candidate does not.
SHIPPED_FEATURES = tuple(f for f in FEATURES if not f.startswith(("dense2", "sentence_gap")))
SECOND_BACKEND_FEATURES = ("dense2", "dense2_z", "dense2_gap")  # read when ranker_backends names two


def shipped_features(backends: list[str]) -> tuple[str, ...]:
    """The features a ranker over ``backends`` is trained on (a second backend adds dense2)."""
    extra = SECOND_BACKEND_FEATURES if len(backends) > 1 else ()
    return tuple(f for f in FEATURES if f in SHIPPED_FEATURES or f in extra)


@dataclass
class Group:
    """One training question: its candidates' features and which evidence each matches."""

    question_id: str
    type: str
    features: np.ndarray  # candidates × FEATURES
    relevance: np.ndarray  # candidates × evidence strings, bool
    passages: tuple[str, ...] = ()  # where its evidence stands: "document|article or section"

    @property
    def labels(self) -> np.ndarray:
        return self.relevance.any(axis=1).astype(int)


def relevance_matrix(question, passages: list[tuple[str, str]]) -> np.ndarray:
    """candidates × evidence: does candidate (text, file) match evidence item j?"""
    from assistant.evaluation.metrics import passage_matches, same_document

    items = question.items()
    out = np.zeros((len(passages), len(items)), dtype=bool)
    for i, (text, file) in enumerate(passages):
        for j, item in enumerate(items):
            out[i, j] = same_document(item.document, file) and passage_matches(text, item.text)
    return out


def collect(assistant, questions, pool: int) -> list[Group]:
    """Retrieve ``pool`` candidates per answerable question through the served retrieve stage
    (fusion, the instrument fan-out's lead, the gap boost: the pool the ranker sees when
    serving) and compute its group."""
    retriever = assistant.pipeline.retriever
    extractor = getattr(assistant.pipeline.reranker, "features", None) or _extractor(assistant)
    request = assistant.request(10, None, "hybrid", None)
    request = type(request)(k=10, mode="hybrid", backend=request.backend, candidates=pool)
    groups = []
    for question in questions:
        if not question.answerable:
            continue
        query = question_query(assistant, question)
        hits = retriever.retrieve(query, request)
        passages = [(assistant.chunks[h.position].text,
                     assistant.documents[assistant.chunks[h.position].document_id].meta.file) for h in hits]
        groups.append(Group(question.id, question.type, extractor.matrix(query, hits),
                            relevance_matrix(question, passages), evidence_places(question)))
    return groups


def evidence_places(question) -> tuple[str, ...]:
    """The article or profile section each evidence string stands in ("LMigra.pdf|Artículo 36")."""
    return tuple(dict.fromkeys(f"{i.document}|{i.article or i.section or ''}" for i in question.items()))


def passage_folds(groups: list[Group], folds: int) -> np.ndarray:
    """A fold per group such that questions sharing an evidence article or section share a
    fold: the held-out fold's passages were never seen in training (as on a test set of new
    passages). The groups of questions linked through shared places are scipy's connected
    components; scikit-learn's GroupKFold spreads them over balanced folds."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.model_selection import GroupKFold

    places = {place: n for n, place in enumerate(dict.fromkeys(p for g in groups for p in g.passages))}
    edges = [(i, len(groups) + places[p]) for i, g in enumerate(groups) for p in g.passages]
    rows, cols = zip(*edges) if edges else ((), ())
    size = len(groups) + len(places)
    graph = coo_matrix((np.ones(len(edges)), (rows, cols)), shape=(size, size))
    _, component = connected_components(graph, directed=False)
    fold_of = np.zeros(len(groups), dtype=int)
    for fold, (_, held) in enumerate(GroupKFold(n_splits=folds).split(fold_of, groups=component[: len(groups)])):
        fold_of[held] = fold
    return fold_of


HELD_OUT = ("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl")  # eval/: reported, never trained or tuned on


def training_files(files: list[Path] | None) -> list[Path]:
    """The training test sets to read (DEFAULT_TRAINING when none are given); ValueError for
    the held-out split, which nothing is ever trained on."""
    chosen = [Path(f) for f in (files or DEFAULT_TRAINING)]
    held = [f.name for f in chosen if f.name in HELD_OUT]
    if held:
        raise ValueError(f"{', '.join(held)} is the held-out split ({', '.join(HELD_OUT)}): never train on it")
    return chosen


TRAINING_HELP = f"Training test sets (default: {' '.join(DEFAULT_TRAINING)})."


def open_for_training(files: list[Path] | None, **overrides):
    """The ``mgi train-*`` commands' start: the chosen training files (a held-out file is a
    usage error), the Settings (with ``overrides``) and the Assistant over the built index."""
    import typer

    from assistant.core import Assistant
    from assistant.settings import get_settings

    try:
        chosen = training_files(files)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    settings = get_settings(**overrides)
    return chosen, settings, Assistant.open(settings)


def question_query(assistant, question):
    """A test-set question as the ask path reads it (Assistant.query): a follow-up with its
    earlier questions, acronyms expanded."""
    from assistant.records import Turn

    return assistant.query(question.question, [Turn(question=p) for p in question.previous])


def _extractor(assistant):
    from assistant.answer.instruments import InstrumentNames
    from assistant.search.features import CandidateFeatures

    names = InstrumentNames(assistant.documents)
    return CandidateFeatures(assistant.index, assistant.query_vector,
                             list(assistant.settings.ranker_backends), names.named_in)


def order_metrics(groups: list[Group], scores: list[np.ndarray], k: int = 5) -> dict[str, float]:
    """Mean evidence recall@k and MRR when each group's candidates are sorted by ``scores``."""
    recalls, reciprocal = [], []
    for group, score in zip(groups, scores):
        order = np.argsort(-score, kind="stable")
        ranked = group.relevance[order]
        recalls.append(float(ranked[:k].any(axis=0).mean()) if ranked.shape[1] else 0.0)
        hits = np.flatnonzero(ranked.any(axis=1))
        reciprocal.append(1.0 / (hits[0] + 1) if len(hits) else 0.0)
    return {f"recall@{k}": float(np.mean(recalls)), "mrr": float(np.mean(reciprocal)),
            "pool_recall": float(np.mean([g.relevance.any(axis=0).mean() for g in groups]))}


MODEL_KINDS = ("logistic", "trees")
MODEL_HELP = '"logistic" or "trees" (gradient boosting).'


def model_kind(value: str) -> str:
    """The ``--model`` option of the training commands, checked before anything is loaded."""
    if value not in MODEL_KINDS:
        import typer

        raise typer.BadParameter(f"use {' or '.join(MODEL_KINDS)}, not {value!r}")
    return value


def make_model(kind: str, seed: int = 0):
    """A scikit-learn classifier: "logistic" (scaled) or "trees" (gradient boosting)."""
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced"))
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(n_estimators=120, max_depth=3, learning_rate=0.08, subsample=0.8,
                                      min_samples_leaf=20, random_state=seed)


def fit(groups: list[Group], kind: str, columns: list[int]):
    model = make_model(kind)
    model.fit(np.vstack([g.features[:, columns] for g in groups]), np.concatenate([g.labels for g in groups]))
    return model


def cross_validate(groups: list[Group], kind: str, columns: list[int] | None = None,
                   folds: int = 5, seed: int = 0, by_passage: bool = False) -> dict[str, float]:
    """Grouped k-fold: each question's candidates are scored by a model not trained on it;
    ``by_passage``: nor on any question whose evidence stands in the same article or section."""
    columns = list(range(len(FEATURES))) if columns is None else columns
    if by_passage:
        fold_of = passage_folds(groups, folds)
    else:
        fold_of = np.random.default_rng(seed).permutation(len(groups)) % folds
    scores: list[np.ndarray | None] = [None] * len(groups)
    for fold in range(folds):
        train = [g for g, f in zip(groups, fold_of) if f != fold]
        model = fit(train, kind, columns)
        for i in np.flatnonzero(fold_of == fold):
            scores[i] = model.predict_proba(groups[i].features[:, columns])[:, 1]
    return order_metrics(groups, scores)


def per_type(groups: list[Group], scores: list[np.ndarray]) -> dict[str, dict[str, float]]:
    types = sorted({g.type for g in groups})
    return {t: order_metrics([g for g in groups if g.type == t],
                             [s for g, s in zip(groups, scores) if g.type == t]) for t in types}


def ablation(groups: list[Group], kind: str, features: tuple[str, ...] = SHIPPED_FEATURES,
             by_passage: bool = False) -> dict[str, dict]:
    """Cross-validated metrics with every signal, and with each one removed in turn."""
    all_columns = [FEATURES.index(name) for name in features]
    rows = {"all": cross_validate(groups, kind, all_columns, by_passage=by_passage)}
    for column in all_columns:
        rows[f"-{FEATURES[column]}"] = cross_validate(groups, kind, [c for c in all_columns if c != column],
                                                      by_passage=by_passage)
    return rows


def collect_files(assistant, files: list[Path], pool: int) -> list[Group]:
    """``collect`` over every question of the training files (out of fold when a query
    adapter is served: assistant.search.adapter_training.out_of_fold)."""
    from assistant.evaluation.testset import load_testset
    from assistant.search.adapter_training import out_of_fold

    questions = [q for file in files for q in load_testset(file)]
    parts = out_of_fold(assistant, questions, lambda subset: collect(assistant, subset, pool))
    return [group for _, groups in parts for group in groups]


def train(assistant, files: list[Path], kind: str, pool: int, out: Path | None,
          features: tuple[str, ...] | None = None, groups: list[Group] | None = None) -> dict:
    """Collect (unless ``groups`` are given), cross-validate, fit on everything and (with
    ``out``) write the model file."""
    groups = collect_files(assistant, files, pool) if groups is None else groups
    features = features or shipped_features(list(assistant.settings.ranker_backends))
    return train_groups(groups, kind, out, features, {"trained_on": [str(f) for f in files], "pool": pool,
                                                      "backends": list(assistant.settings.ranker_backends),
                                                      "query_adapters": adapter_names(assistant)})


def adapter_names(assistant) -> dict[str, str]:
    """The query adapter file each backend's questions were read through (none: plain)."""
    return {backend: Path(assistant.settings.query_adapter).name for backend in assistant.index.dense
            if assistant.adapter(backend) is not None}


def train_groups(groups: list[Group], kind: str, out: Path | None, features: tuple[str, ...],
                 meta: dict) -> dict:
    """Cross-validate on collected groups, fit on all of them, write the model file."""
    columns = [FEATURES.index(name) for name in features]
    baseline = order_metrics(groups, [-np.arange(len(g.labels), dtype=float) for g in groups])
    report = {"questions": len(groups), "model": kind, "fusion": baseline,
              "cross_validated": cross_validate(groups, kind, columns),
              "cross_validated_new_passages": cross_validate(groups, kind, columns, by_passage=True)}
    if out is not None:
        meta = {**meta, "questions": len(groups), "cross_validated": report["cross_validated"],
                "cross_validated_new_passages": report["cross_validated_new_passages"],
                "fusion": baseline, "created": time.strftime("%Y-%m-%d")}
        model = fit(groups, kind, columns)
        out.write_text(json.dumps(export_model(model, kind, features, meta), indent=1), encoding="utf-8")
        report["written"] = str(out)
    return report


def register(app) -> None:
    """Add ``mgi train-ranker`` to the ``mgi`` Typer app."""
    import typer

    @app.command("train-ranker")
    def train_ranker(
        files: list[Path] = typer.Argument(None, help=TRAINING_HELP),
        model: str = typer.Option("logistic", "--model", help=MODEL_HELP, callback=model_kind),
        pool: int = typer.Option(50, "--pool", min=5, help="Fused candidates per question."),
        out: Path = typer.Option(None, "--out", help="Write the model here (default: Settings.ranker_model)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Cross-validate only; write nothing."),
        ablate: bool = typer.Option(False, "--ablate", help="Also cross-validate with each signal removed in turn."),
        by_passage: bool = typer.Option(False, "--by-passage", help="Ablation folds keep questions that share an evidence article or section together (new passages in every held-out fold)."),
    ) -> None:
        """Train the learned second-stage ranker on the training splits (never eval/test.jsonl)."""
        chosen, settings, assistant = open_for_training(files, rerank_stage="fusion")
        target = None if dry_run else (out or settings.ranker_model)
        groups = collect_files(assistant, chosen, pool)
        typer.echo(json.dumps(train(assistant, chosen, model, pool, target, groups=groups), indent=1))
        if ablate:
            typer.echo(json.dumps(ablation(groups, model, shipped_features(list(settings.ranker_backends)),
                                           by_passage=by_passage), indent=1))
