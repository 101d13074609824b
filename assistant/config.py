"""Settings, declared once: name, default and help for each; and the declared values that the
rest of the package imports from here (channels, platforms, styles, the brand).

Sources, strongest first: keyword arguments, environment variables ``ASSISTANT_*``,
a TOML file (``$ASSISTANT_CONFIG``, else ``<data_dir>/config.toml`` if present), defaults.
API keys are never settings: litellm reads them from the provider's own environment
variables (``OPENAI_API_KEY``, ...), and nothing here stores or logs them.

The brand (settings ``company``, ``company_ko`` and ``own_domain``) is put in force by
:func:`load_settings` for the code that has no settings at hand: the checker's company
addresses and rule texts, triage's own links, the offline drafter's defaults (:func:`brand`).
So is the Korean speech level of each channel (``ko_register``, :func:`ko_register`), which the
checker holds Korean replies to.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from assistant import resources
from assistant.errors import InputError

OFFLINE_MODEL = "offline"
"""The model name of the built-in template drafter used when no litellm model is configured."""

PRIVATE_CHANNELS = ("email", "chat")
"""Reply channels only the customer reads: their own account details may be quoted back."""
PUBLIC_CHANNELS = ("x", "instagram", "facebook", "review")
"""Reply channels everyone can read (social posts, app-store reviews): no account detail at all."""
CHANNELS = PRIVATE_CHANNELS + PUBLIC_CHANNELS
"""Every reply channel (``--channel``, drafts, the checker, eval cases)."""
PLATFORMS = PUBLIC_CHANNELS
"""Where bulk social posts come from; the reply to a post goes out on its platform's channel."""
STYLES = ("warmer", "concise", "formal")
"""The rewrites an agent can ask of a draft (``--style``, the workspace buttons)."""
KO_REGISTERS = ("haeyo", "hapsyo")
"""The Korean speech levels a team can choose per channel: 해요체 (``haeyo``) and 하십시오체
(``hapsyo``), both polite (존댓말)."""
KO_REGISTER_NAMES = {"haeyo": "해요체", "hapsyo": "하십시오체"}
"""How the workspace, the checker and the prompts name each level."""
DEFAULT_KO_REGISTER = {
    "email": "hapsyo",
    "chat": "haeyo",
    "x": "haeyo",
    "instagram": "haeyo",
    "facebook": "haeyo",
    "review": "hapsyo",
}
"""The speech level of each channel unless the team chooses another (``ko_register``)."""


@dataclass(frozen=True)
class Brand:
    """Whose support team this is: the product or company name in English and in Korean, and
    the company's own domain (its e-mail addresses and links are never a leak or a foreign link).
    """

    company: str = "Haru Notes"
    company_ko: str = "하루노트"
    own_domain: str = "harunotes.example"


DEFAULT_BRAND = Brand()
"""Today's brand (the demo help center's): the defaults of the brand settings."""
_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")
_brand = DEFAULT_BRAND
_ko_register = dict(DEFAULT_KO_REGISTER)


def brand() -> Brand:
    """The brand in force: that of the settings loaded last (:func:`load_settings`)."""
    return _brand


def use_brand(value: Brand | None = None) -> None:
    """Put ``value`` in force (``None``: the default brand)."""
    global _brand
    _brand = value or DEFAULT_BRAND


def ko_register(channel: str) -> str:
    """The Korean speech level in force for ``channel`` (that of the settings loaded last,
    :func:`load_settings`; ``hapsyo`` for a channel not declared)."""
    return _ko_register.get(channel, "hapsyo")


def use_ko_register(levels: dict[str, str] | None = None) -> None:
    """Put these per-channel levels in force (``None``: the defaults)."""
    global _ko_register
    _ko_register = {**DEFAULT_KO_REGISTER, **(levels or {})}


def parse_ko_register(value: Any) -> dict[str, str]:
    """``ko_register`` from a table (TOML), JSON, ``"email=hapsyo,chat=haeyo"`` or one level for
    every channel (``"haeyo"``); channels not named keep their default. A ValueError names what
    is wrong."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            import json

            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError("not valid JSON") from None
        elif "=" in text or "," in text:
            value = dict(part.partition("=")[::2] for part in text.split(",") if part.strip())
        else:
            value = dict.fromkeys(CHANNELS, text)
    if not isinstance(value, dict):
        raise ValueError("give channel=level pairs, like email=hapsyo,chat=haeyo")
    out = dict(DEFAULT_KO_REGISTER)
    for channel, level in value.items():
        channel, level = str(channel).strip(), str(level).strip().lower()
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r} (use {', '.join(CHANNELS)})")
        if level not in KO_REGISTERS:
            raise ValueError(f"unknown speech level {level!r} for {channel} (use haeyo or hapsyo)")
        out[channel] = level
    return out


def default_data_dir() -> Path:
    """``$ASSISTANT_DATA_DIR`` or ``./.assistant-data``."""
    return Path(os.environ.get("ASSISTANT_DATA_DIR") or ".assistant-data")


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the optional TOML settings file; a malformed file is an InputError naming it."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"not valid TOML ({exc})", where=str(self.path)) from None
        except RecursionError:
            raise InputError("not valid TOML (nested too deeply)", where=str(self.path)) from None
        section = data.get("assistant", data)
        if not isinstance(section, dict):
            raise InputError("[assistant] must be a table", where=str(self.path))
        known = set(self.settings_cls.model_fields)
        unknown = sorted(set(section) - known)
        if unknown:
            raise InputError(f"unknown setting {unknown[0]!r}", where=str(self.path))
        return dict(section)


def _config_path() -> Path | None:
    explicit = os.environ.get("ASSISTANT_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise InputError("settings file not found", where=explicit)
        return path
    return default_data_dir() / "config.toml"


class Settings(BaseSettings):
    """Every setting of the assistant. ``reply-assistant settings`` lists them with their help."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the index, the records database and eval caches live.",
    )
    model: str = Field(
        OFFLINE_MODEL,
        description="litellm model string (openai/gpt-4o-mini, anthropic/..., ollama/...); "
        "'offline' uses the built-in template drafter.",
    )
    fallback_models: list[str] = Field(
        default_factory=list,
        description="litellm model strings tried in order when the model fails.",
    )
    api_base: str | None = Field(
        None, description="Base URL for the model (a LiteLLM proxy, vLLM, Ollama)."
    )
    temperature: float = Field(0.3, description="Sampling temperature for drafting.")
    request_timeout: float = Field(60.0, description="Seconds before a model call is abandoned.")
    max_retries: int = Field(2, description="Retries on rate limits and server errors.")
    embedding: str = Field(
        "embedded",
        description="'embedded' (multilingual models shipped with the package) or a litellm "
        "embedding model string (openai/text-embedding-3-small, ...).",
    )
    chroma_url: str | None = Field(
        None,
        description="http://host:port of a Chroma server; unset uses the embedded store in the data dir.",
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL for records; unset uses SQLite in the data dir."
    )
    ui_language: Literal["ko", "en"] = Field(
        "ko",
        description="Language of the playbook findings' messages and fixes in drafts, check and "
        "bulk runs (the workspace shows them in the language picked there).",
    )
    agent_name: str = Field("Jiwoo Seo", description="The agent name English drafts sign with.")
    agent_name_ko: str = Field("서지우", description="The agent name Korean drafts sign with.")
    company: str = Field(
        DEFAULT_BRAND.company, description="The product or company name in English drafts."
    )
    company_ko: str = Field(
        DEFAULT_BRAND.company_ko, description="The product or company name in Korean drafts."
    )
    own_domain: str = Field(
        DEFAULT_BRAND.own_domain,
        description="The company's own domain: addresses and links under it are the company's "
        "(never a leak in a draft, never a foreign link in a post).",
    )
    redact_pii: bool = Field(
        False,
        description="Replace emails, phones and card numbers with placeholders before text goes to an external model.",
    )
    retention_days: int | None = Field(
        None,
        description="Days customer text is kept after a conversation's last message: "
        "`reply-assistant maintenance` (and `init`) erase older closed conversations' messages "
        "and their drafts' text; unset keeps everything.",
    )
    top_k: int = Field(4, description="Knowledge passages given to the drafter.")
    ko_register: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_KO_REGISTER),
        description="The Korean speech level of each channel, haeyo (해요체) or hapsyo "
        "(하십시오체): email=hapsyo,chat=haeyo (channels not named keep their default: chat, x, "
        "instagram, facebook haeyo; email, review hapsyo) or one level for every channel. Drafts, "
        "prompts, macros and the checker's mixed-level rule (K1) follow it.",
    )
    oidc_self_register: bool = Field(
        False,
        description="With an identity provider configured (Streamlit's [auth] secrets), a "
        "person the provider signs in who has no account here gets an agent account.",
    )
    gap_threshold: float = Field(
        0.36,
        description="Knowledge gaps: a customer message whose best help-center match scores "
        "under this (fused cosine + BM25 of the best chunk) has no good article.",
    )
    survey_days: int = Field(14, ge=1, description="Days a CSAT/CES survey link stays answerable.")
    survey_base_url: str = Field(
        "http://127.0.0.1:8080",
        description="Where customers reach `reply-assistant serve`: survey links are "
        "<this>/s/<token>.",
    )
    summary_min_messages: int = Field(
        6,
        ge=1,
        description="The customer panel shows a conversation summary above a history of at "
        "least this many messages.",
    )
    prompts_dir: Path | None = Field(
        None,
        description="The team's prompt templates (<name>/<version>.md.j2); a file there wins "
        "over the shipped template of the same name and version.",
    )
    suites_dir: Path | None = Field(
        None,
        description="The team's eval suites (<name>.yaml); a suite there wins over the shipped "
        "suite of the same name.",
    )

    chatwoot_url: str | None = Field(
        None,
        description="Your Chatwoot's base URL (https://chat.example.com): drafts go back to its "
        "conversations as private notes, approved replies as outgoing messages.",
    )
    chatwoot_token: SecretStr | None = Field(
        None,
        description="A Chatwoot access token (an agent bot's or an agent's; sent as the "
        "api_access_token header).",
    )
    chatwoot_secret: SecretStr | None = Field(
        None,
        description="The Chatwoot webhook's secret: POST /v1/hooks/chatwoot refuses a delivery "
        "whose X-Chatwoot-Signature it did not sign.",
    )
    webhook_max_age: int = Field(
        300,
        description="Seconds a signed webhook delivery stays acceptable (older or future "
        "X-Chatwoot-Timestamp values are refused as replays).",
    )
    send_lease: int = Field(
        120,
        description="Seconds after which a send that never finished (its process died) is "
        "looked up at the channel and, only if the reply is not there, sent again.",
    )
    imap_url: str | None = Field(
        None,
        description="The support mailbox `mail sync` reads: imaps://user@host:993/INBOX "
        "(plain imap:// only to 127.0.0.1).",
    )
    imap_password: SecretStr | None = Field(None, description="The support mailbox's password.")
    smtp_url: str | None = Field(
        None,
        description="Where approved mail replies go out: smtp://user@host:587 (STARTTLS) or "
        "smtps://user@host:465 (plain smtp:// without STARTTLS only to 127.0.0.1).",
    )
    smtp_password: SecretStr | None = Field(None, description="The SMTP account's password.")
    support_address: str | None = Field(
        None,
        description="The support address replies are sent from (Support <support@example.com>); "
        "mail from it is not drafted.",
    )
    server: str | None = Field(
        None,
        description="A running `reply-assistant serve` (http://127.0.0.1:8080): draft, check and "
        "search send their work there instead of loading the models themselves.",
    )
    server_token: SecretStr | None = Field(
        None, description="The API token (`tokens create`) the command line sends to `server`."
    )

    @field_validator("prompts_dir", "suites_dir")
    @classmethod
    def _folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.expanduser().is_dir():
            raise ValueError(f"no such folder: {value}")
        return value

    @field_validator("own_domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        value = value.strip().lower()
        if not _DOMAIN.fullmatch(value):
            raise ValueError(f"not a domain name (like {DEFAULT_BRAND.own_domain}): {value!r}")
        return value

    @field_validator("retention_days")
    @classmethod
    def _not_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("must be 0 or more")
        return value

    @field_validator("ko_register", mode="before")
    @classmethod
    def _levels(cls, value: Any) -> dict[str, str]:
        return parse_ko_register(value)

    def ko_register_for(self, channel: str) -> str:
        """The Korean speech level these settings give ``channel``."""
        return self.ko_register.get(channel, "hapsyo")

    @field_validator("top_k")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls, _config_path()))

    @property
    def is_offline(self) -> bool:
        """True when no litellm model is configured and the template drafter answers."""
        return self.model.strip().lower() in {OFFLINE_MODEL, "", "none"}

    @property
    def brand(self) -> Brand:
        """The brand these settings name."""
        return Brand(self.company, self.company_ko, self.own_domain)

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL in force."""
        return self.database_url or f"sqlite:///{self.data_dir / 'assistant.db'}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from all sources; a bad value is an InputError naming the setting.

    Puts the team's folders (:mod:`assistant.resources`) and the brand (:func:`brand`) in force.
    """
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err.get("loc", ())) or "settings"
        raise InputError(err.get("msg", "invalid value"), where=f"setting {field}") from None
    resources.use_team_folders(prompts=settings.prompts_dir, suites=settings.suites_dir)
    use_brand(settings.brand)
    use_ko_register(settings.ko_register)
    return settings
