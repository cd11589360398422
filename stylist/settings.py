"""The one settings object: STYLIST_* environment variables and an optional `.env` file.

Every part of the product reads its configuration from `get_settings()`; paths of generated
artefacts (catalog table, checkpoints, Chroma store, uploaded photos, reports) all derive from
`data_dir`, so that one variable moves a whole installation.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The chat-model providers, named once: the agent's factory, the settings panel and the
# settings all read these.
ChatProvider = Literal["groq", "openai", "ollama", "openai-compatible", "offline"]
ProviderName = Literal["auto", ChatProvider]  # "auto": Groq or OpenAI when a key is set
CHAT_PROVIDERS: tuple[str, ...] = get_args(ChatProvider)
PROVIDER_NAMES: tuple[str, ...] = get_args(ProviderName)


class StyleSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STYLIST_", env_file=".env", extra="ignore", validate_default=True
    )

    # Where everything generated lives: catalog table, checkpoints, index, uploads, reports.
    data_dir: Path = Path(".stylist")

    # Encoder spec: "demo" (the small encoder trained here), an open_clip "ARCH:TAG",
    # an "hf-hub:org/name" id, a checkpoint file, or "CONFIG.json:CHECKPOINT".
    encoder: str = "demo"
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    batch_size: int = Field(64, ge=1, le=4096)
    # Which attribute classifier the tag tool uses: heads on encoder embeddings, or the CNN.
    attribute_model: Literal["heads", "cnn"] = "heads"
    # Mix in the real-photo tagger (pretrained ImageNet network + the garment's own colour) so
    # that a real photo is tagged sensibly even when the trained tagger has only seen drawings:
    # "auto" = on for the demo install (its catalog is synthetic drawings), off otherwise.
    real_photo_tagger: Literal["auto", "on", "off"] = "auto"

    # Catalog preparation.
    min_class_count: int = Field(50, ge=1, description="classes rarer than this merge into Other")
    split_seed: int = 42
    test_fraction: float = Field(0.2, gt=0.0, lt=1.0)

    # Vector store: embedded Chroma in data_dir unless a server URL is given.
    chroma_url: str | None = None
    chroma_collection: str = "stylist-catalog"

    # Chat model.
    llm_provider: ProviderName = "auto"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_temperature: float = Field(0.4, ge=0.0, le=2.0)
    llm_timeout_s: float = Field(30.0, gt=0)
    llm_max_retries: int = Field(2, ge=0, le=10)
    # Keys are read from the variables every provider SDK documents, or STYLIST_*.
    groq_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("STYLIST_GROQ_API_KEY", "GROQ_API_KEY")
    )
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("STYLIST_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    # Conversation memory: a SQLite file in the data dir unless another file is named (or the
    # LangGraph PostgreSQL checkpointer, when database_url is PostgreSQL).
    checkpoint_db: Path | None = None
    max_agent_steps: int = Field(8, ge=1, le=50)
    results_k: int = Field(6, ge=1, le=50)

    # Accounts and chat history: SQLite in the data dir unless a SQLAlchemy URL is given
    # (postgresql://user:password@host/db for several app processes).
    database_url: SecretStr | None = None
    # Behind a reverse proxy that already authenticates: the header naming the signed-in user
    # (e.g. X-Forwarded-User). Only set it when the proxy strips this header from clients.
    header_auth: str | None = None

    # HTTP API v1 (`stylist serve`): whether every request needs an API key (bearer token; keys
    # from `stylist api-keys create`), each key's (or anonymous client's) rate limit, and the
    # micro-batch of concurrent /v1/tag requests (0 ms: one forward pass per request).
    api_require_key: bool = False
    api_rate_per_minute: float = Field(600.0, gt=0)
    api_rate_burst: int = Field(60, ge=1)
    # The longest a /v1/tag batch waits for requests still on their way (a lone request does
    # not wait: see api/batching.py); 20 ms filled batches of 8 clients on 2 cores.
    api_batch_window_ms: float = Field(20.0, ge=0, le=1000)
    api_batch_max: int = Field(16, ge=1, le=256)

    # Uploads: the limits the untrusted-image loader enforces.
    upload_max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    upload_max_pixels: int = Field(40_000_000, ge=1024)

    @model_validator(mode="after")
    def _memory_on_disk(self) -> StyleSettings:
        # A resumed chat (or a restarted server) must find the agent's memory of the thread.
        if self.checkpoint_db is None:
            self.checkpoint_db = self.data_dir / "memory" / "checkpoints.sqlite"
        return self

    @property
    def postgres_url(self) -> str | None:
        """database_url when it names PostgreSQL (history and agent memory then live there)."""
        url = self.database_url.get_secret_value() if self.database_url else ""
        return url if url.startswith(("postgresql", "postgres:")) else None

    # --- derived paths -------------------------------------------------------------------
    @property
    def demo_catalog_dir(self) -> Path:
        return self.data_dir / "demo-catalog"

    @property
    def items_path(self) -> Path:
        """The validated item table written by `stylist ingest`."""
        return self.data_dir / "catalog" / "items.csv"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def app_database_path(self) -> Path:
        """The SQLite file of accounts and chat history when no database_url is given."""
        return self.data_dir / "app.sqlite"

    @property
    def auth_secret_path(self) -> Path:
        """The key that signs login cookies, made on first run (never committed, never shown)."""
        return self.data_dir / "auth-secret"

    def masked(self) -> dict[str, object]:
        """Effective settings for display: secrets shown as set / not set, never echoed."""
        shown: dict[str, object] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                secret = value.get_secret_value()
                value = "set (hidden)" if secret else "not set"
            shown[name] = value
        return shown


@lru_cache(maxsize=1)
def get_settings() -> StyleSettings:
    """The process-wide settings; tests clear the cache after changing the environment."""
    return StyleSettings()
