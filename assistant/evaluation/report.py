"""Markdown report (tables per configuration and per type), recall@k plot, JSON metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.evaluation.metrics import KS

OVERALL_ROWS = [
    ("questions", "Questions", "n"),
    ("answerable", "Answerable", "n"),
    *[(f"recall@{k}", f"Evidence recall@{k}", "f") for k in KS],
    ("mrr", "MRR", "f"),
    ("hit@5", "Hit@5 (any evidence in top 5)", "f"),
    ("citation_support", "Citation support (a quote matches evidence)", "f"),
    ("section_accuracy", "Citation section accuracy", "f"),
    ("article_accuracy", "Citation article accuracy", "f"),
    ("page_accuracy", "Citation page accuracy", "f"),
    ("law_article_recall", "(Law, article) pairs cited", "f"),
    ("instrument_recall", "Evidence documents quoted (multi-document questions)", "f"),
    ("key_source_recall", "Key-Source recall", "f"),
    ("keyword_recall", "Keyword recall", "f"),
    ("refusal_precision", "Refusal precision", "f"),
    ("refusal_recall", "Refusal recall", "f"),
    ("false_refusal_rate", "False refusal rate (answerable refused)", "f"),
    ("partly", "Partly answered (subject found, detail missing)", "n"),
    ("partly_unanswerable", "Partly — on unanswerable questions", "n"),
    ("partly_answerable_rate", "Partly — share of answerable questions", "f"),
    ("span_correct", "Answer span correct (typed answerable)", "f"),
    ("span_correct_n", "Typed answerable questions with a reference span", "n"),
    ("verbatim_rate", "Verbatim quote rate", "f"),
    ("citations", "Citations", "n"),
    ("latency_p50_ms", "Latency p50 (ms)", "ms"),
    ("latency_p95_ms", "Latency p95 (ms)", "ms"),
    ("errors", "Errors", "n"),
]

TYPE_COLUMNS = [
    ("questions", "n", "n"), ("recall@1", "R@1", "f"), ("recall@5", "R@5", "f"),
    ("recall@10", "R@10", "f"), ("mrr", "MRR", "f"), ("citation_support", "Support", "f"),
    ("section_accuracy", "Section", "f"), ("article_accuracy", "Article", "f"),
    ("page_accuracy", "Page", "f"), ("law_article_recall", "Law×art.", "f"),
    ("instrument_recall", "Laws", "f"),
    ("key_source_recall", "KS recall", "f"),
    ("keyword_recall", "Keywords", "f"), ("refusal_precision", "Ref. P", "f"),
    ("refusal_recall", "Ref. R", "f"), ("latency_p50_ms", "p50 ms", "ms"),
]


def fmt(value, kind: str = "f") -> str:
    if value is None:
        return "–"
    if kind == "n":
        return str(int(value))
    if kind == "ms":
        return f"{value:.0f}"
    return f"{value:.3f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def overall_table(results: dict[str, dict]) -> str:
    names = list(results)
    rows = [[label] + [fmt(results[n]["overall"].get(key), kind) for n in names] for key, label, kind in OVERALL_ROWS]
    return _table(["Metric", *names], rows)


def type_table(result: dict) -> str:
    rows = [[t] + [fmt(m.get(key), kind) for key, _, kind in TYPE_COLUMNS] for t, m in result["per_type"].items()]
    rows.append(["**all**"] + [fmt(result["overall"].get(key), kind) for key, _, kind in TYPE_COLUMNS])
    return _table(["Type", *[label for _, label, _ in TYPE_COLUMNS]], rows)


ANSWER_TYPE_COLUMNS = [
    ("questions", "n", "n"), ("answerable", "answerable", "n"), ("refusal_precision", "Ref. P", "f"),
    ("refusal_recall", "Ref. R", "f"), ("false_refusal_rate", "Wrongly refused", "f"),
    ("partly", "Partly", "n"), ("span_correct", "Span correct", "f"), ("span_correct_n", "Span n", "n"),
]


def answer_type_table(result: dict) -> str:
    """Refusal, "partly" and span accuracy per asked answer type (quantity, date, money …)."""
    rows = [[t] + [fmt(m.get(key), kind) for key, _, kind in ANSWER_TYPE_COLUMNS]
            for t, m in result.get("per_answer_type", {}).items()]
    return _table(["Answer type", *[label for _, label, _ in ANSWER_TYPE_COLUMNS]], rows)


def type_by_config_table(results: dict[str, dict], key: str = "recall@5") -> str:
    names = list(results)
    types = sorted({t for r in results.values() for t in r["per_type"]})
    rows = [[t] + [fmt(results[n]["per_type"].get(t, {}).get(key)) for n in names] for t in types]
    return _table(["Type", *names], rows)


def plot_recall(results: dict[str, dict], path: Path) -> Path:
    """recall@k curves, one line per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for name, result in results.items():
        ys = [result["overall"].get(f"recall@{k}") or 0.0 for k in KS]
        ax.plot(KS, ys, marker="o", label=name)
    ax.set_xticks(KS)
    ax.set_xlabel("k (passages)")
    ax.set_ylabel("evidence recall@k")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title("Evidence recall@k per configuration")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _misses(result: dict) -> list[str]:
    lines = []
    for row in result["questions"]:
        if row.get("error"):
            lines.append(f"- `{row['id']}` ({row['type']}): error — {row['error']}")
        elif row["answerable"] and row["refused"]:
            lines.append(f"- `{row['id']}` ({row['type']}): refused an answerable question"
                         f" (recall@10 {fmt(row.get('recall@10'))})")
        elif row["answerable"] and not row.get("recall@10"):
            lines.append(f"- `{row['id']}` ({row['type']}): no evidence in the top 10")
        elif not row["answerable"] and not row["refused"]:
            lines.append(f"- `{row['id']}` ({row['type']}): answered an unanswerable question")
    return lines


def write_markdown(results: dict[str, dict], path: Path, meta: dict) -> Path:
    """The report; the recall@k plot is saved beside it as ``<stem>-recall.png``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plot = plot_recall(results, path.with_name(f"{path.stem}-recall.png"))
    primary = next(iter(results))
    parts = [
        "# MGI Assistant evaluation",
        "",
        f"- Test set: `{meta.get('testset')}` ({meta.get('questions')} questions"
        + (f", types: {', '.join(meta['types'])}" if meta.get("types") else "") + ")",
        f"- Documents: `{meta.get('documents_dir')}`",
        f"- Index: `{meta.get('index_dir')}`",
        f"- Configurations: {', '.join(f'`{n}`' for n in results)}",
        f"- Generated: {meta.get('generated')}",
        f"- Command: `{meta.get('command')}`" if meta.get("command") else "",
        "",
        "Metric definitions and the relevance rule: see `eval/README.md`.",
        "",
        "## Overall, per configuration",
        "",
        overall_table(results),
        "",
        f"![Evidence recall@k per configuration]({plot.name})",
        "",
        f"## Per question type — `{primary}`",
        "",
        type_table(results[primary]),
        "",
        "## Evidence recall@5 per type and configuration",
        "",
        type_by_config_table(results, "recall@5"),
        "",
        f"## Outcomes and answer spans per answer type — `{primary}`",
        "",
        answer_type_table(results[primary]) if results[primary].get("per_answer_type") else "(no answer types)",
        "",
        "## Refusal recall per type and configuration",
        "",
        type_by_config_table(results, "refusal_recall"),
        "",
        f"## Misses — `{primary}`",
        "",
        *(_misses(results[primary]) or ["(none)"]),
        "",
    ]
    path.write_text("\n".join(p for p in parts if p is not None), encoding="utf-8")
    return path


def write_json(results: dict[str, dict], path: Path, meta: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**meta, "primary": next(iter(results)), "configs": results}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def console_summary(results: dict[str, dict]) -> str:
    keys = [("recall@1", "R@1"), ("recall@5", "R@5"), ("recall@10", "R@10"), ("mrr", "MRR"),
            ("citation_support", "support"), ("refusal_precision", "refP"), ("refusal_recall", "refR"),
            ("verbatim_rate", "verbatim"), ("keyword_recall", "keywords"), ("latency_p50_ms", "p50ms")]
    width = max(len(n) for n in results) + 2
    lines = ["config".ljust(width) + " ".join(label.rjust(8) for _, label in keys)]
    for name, result in results.items():
        lines.append(name.ljust(width) + " ".join(
            fmt(result["overall"].get(k), "ms" if k.startswith("latency") else "f").rjust(8) for k, _ in keys))
    return "\n".join(lines)


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")
