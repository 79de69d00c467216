"""The database schema (SQLAlchemy 2 declarative). Changed only through migrations.

Personal identifiers are never stored in clear: ``*_enc`` columns hold AES-GCM
ciphertext (storage/personal_data.py), ``*_index`` columns a keyed blind index for
equality look-up, ``*_masked`` columns what staff screens may show.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_uuid() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict: JSON, list: JSON}


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the value (a short English word), checked by a CHECK constraint rather
    # than a native PostgreSQL enum so adding a value is a simple migration.
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class PensionStatus(str, enum.Enum):
    active = "active"
    suspended = "suspended"
    stopped = "stopped"


class BindingKind(str, enum.Enum):
    self_ = "self"
    family = "family"
    staff = "staff"


class CertificationMethod(str, enum.Enum):
    face = "face"
    on_site = "on_site"
    home_visit = "home_visit"
    data_comparison = "data_comparison"
    by_mail = "by_mail"
    manual_review = "manual_review"


class AttemptStatus(str, enum.Enum):
    created = "created"  # challenge answered, upload not yet confirmed
    queued = "queued"
    running = "running"
    passed = "passed"
    failed = "failed"
    review = "review"  # waiting for a reviewer
    rejected = "rejected"  # reviewer said no
    error = "error"  # the system failed; the user may retry


class AdminRole(str, enum.Enum):
    admin = "admin"
    reviewer = "reviewer"
    staff = "staff"


class Agency(Base):
    __tablename__ = "agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # certification.cycle.CyclePolicy as a dict: deadlines, windows, suspension date, in-person limit.
    cycle_policy: Mapped[dict] = mapped_column(default=dict)
    settings: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    regions: Mapped[list[Region]] = relationship(back_populates="agency")


class Region(Base):
    __tablename__ = "region"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(32))

    agency: Mapped[Agency] = relationship(back_populates="regions")


class Retiree(Base):
    __tablename__ = "retiree"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    ss_number: Mapped[str | None] = mapped_column(String(32), index=True)  # 社保编号, an agency key, not secret
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(200))
    pension_status: Mapped[PensionStatus] = mapped_column(_enum(PensionStatus, "pension_status"),
                                                          default=PensionStatus.active, index=True)
    suspended_since: Mapped[dt.date | None] = mapped_column(Date)
    stopped_reason: Mapped[str | None] = mapped_column(String(64))
    died_on: Mapped[dt.date | None] = mapped_column(Date)  # from a confirmed death report
    # field -> ISO time the retiree (or family) last changed it themself; a roster re-import
    # with an older file date shows a conflict instead of overwriting it.
    self_changed: Mapped[dict | None] = mapped_column(JSON)
    # Set when the retiree withdrew consent to face processing (flows.people.withdraw_consent).
    face_consent_withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    region: Mapped[Region | None] = relationship()
    photos: Mapped[list[EnrollmentPhoto]] = relationship(back_populates="retiree")


class EnrollmentPhoto(Base):
    __tablename__ = "enrollment_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    retiree_id: Mapped[int] = mapped_column(ForeignKey("retiree.id"), index=True)
    object_key: Mapped[str] = mapped_column(String(255))
    template: Mapped[bytes | None] = mapped_column(LargeBinary)  # vision.templates bytes (dlib + SFace + quality)
    template_model: Mapped[str | None] = mapped_column(String(64))
    quality: Mapped[dict] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(32))  # anchors: zip_import / console; extras: review_approval / onsite / home_visit / refresh (certification.templates)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    retiree: Mapped[Retiree] = relationship(back_populates="photos")


class WeChatUser(Base):
    __tablename__ = "wechat_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    oa_openid: Mapped[str | None] = mapped_column(String(64), unique=True)  # official account
    mini_openid: Mapped[str | None] = mapped_column(String(64), unique=True)  # mini-program
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    subscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_interaction_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Sessions and tokens carry this number; raising it ends them all (unfollow, unbinding, logout).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Binding(Base):
    """A WeChat user may act for a retiree: themself, as family, or as staff."""

    __tablename__ = "binding"
    __table_args__ = (Index("ix_binding_active", "wechat_user_id", "retiree_id", "revoked_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    wechat_user_id: Mapped[int] = mapped_column(ForeignKey("wechat_user.id"), index=True)
    retiree_id: Mapped[int] = mapped_column(ForeignKey("retiree.id"), index=True)
    kind: Mapped[BindingKind] = mapped_column(_enum(BindingKind, "binding_kind"))
    created_via: Mapped[str] = mapped_column(String(32))  # name_id / qr_code / console
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(32))  # self / retiree / staff
    # what a family helper asked to be called ("女儿 小红"), shown to the retiree beside each
    # certification the helper did and in the list of helpers (flows.people.set_helper_name)
    helper_name: Mapped[str | None] = mapped_column(String(16))
    # A self binding typed in by name + ID number gives no power until confirmed: by a live face
    # match against the enrolled photo ("face") or by the agency ("agency"). Others are confirmed at birth.
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_via: Mapped[str | None] = mapped_column(String(16))  # face / agency / qr_code / console / legacy

    wechat_user: Mapped[WeChatUser] = relationship()
    retiree: Mapped[Retiree] = relationship()


class BindingToken(Base):
    """The single-use secret behind a family QR code (never the ID number)."""

    __tablename__ = "binding_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    retiree_id: Mapped[int] = mapped_column(ForeignKey("retiree.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(ForeignKey("wechat_user.id"))
    # family: the scanner becomes a proxy; share: a second person on the scanner's phone, by their own consent
    purpose: Mapped[str] = mapped_column(String(16), default="family", server_default="family")


class Consent(Base):
    """Consent to face-data processing (PIPL: biometrics are sensitive personal information)."""

    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(primary_key=True)
    wechat_user_id: Mapped[int] = mapped_column(ForeignKey("wechat_user.id"), index=True)
    # Whose face the consent covers (PIPL: per person). None: an older consent given by the phone's holder.
    retiree_id: Mapped[int | None] = mapped_column(ForeignKey("retiree.id"), index=True)
    text_version: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CertificationCycle(Base):
    __tablename__ = "certification_cycle"
    __table_args__ = (UniqueConstraint("agency_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    year: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)
    suspend_on: Mapped[dt.date] = mapped_column(Date)


class Challenge(Base):
    __tablename__ = "challenge"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_uuid)
    retiree_id: Mapped[int] = mapped_column(ForeignKey("retiree.id"), index=True)
    wechat_user_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_user.id"))
    actions: Mapped[list] = mapped_column(default=list)
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # issue 15: the planned timeline (vision.timeline.Timeline.to_dict), revealed step by
    # step after recording_started_at; reveals/chunks: server-side arrival log
    # ({"step"/"seq", "at_s"} seconds after recording_started_at).
    timeline: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    recording_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reveals: Mapped[list] = mapped_column(JSON, default=list)
    chunks: Mapped[list] = mapped_column(JSON, default=list)


class Attempt(Base):
    __tablename__ = "attempt"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_uuid)
    retiree_id: Mapped[int] = mapped_column(ForeignKey("retiree.id"), index=True)
    wechat_user_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_user.id"))
    challenge_id: Mapped[str | None] = mapped_column(ForeignKey("challenge.id"), unique=True)
    video_key: Mapped[str | None] = mapped_column(String(255))
    video_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Content fingerprint of the recording (vision.fingerprint), compared with later uploads.
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    status: Mapped[AttemptStatus] = mapped_column(_enum(AttemptStatus, "attempt_status"),
                                                  default=AttemptStatus.created, index=True)
    verdict: Mapped[str | None] = mapped_column(String(10))  # pass / fail / review
    scores: Mapped[dict] = mapped_column(default=dict)
    reasons: Mapped[list] = mapped_column(default=list)
    advice: Mapped[list] = mapped_column(default=list)
    model_versions: Mapped[dict] = mapped_column(default=dict)
    timings: Mapped[dict] = mapped_column(default=dict)
    best_frame_key: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[str | None] = mapped_column(String(64))
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # verification jobs started
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Certification(Base):
    __tablename__ = "certification"
    id: Mapped[int] = mapped_column(primary_key=True)
    retiree_id: Mapped[int] = mapped_column(ForeignKey("retiree.id"), index=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("certification_cycle.id"), index=True)
    method: Mapped[CertificationMethod] = mapped_column(_enum(CertificationMethod, "certification_method"))
    certified_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by_admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"))
    by_wechat_user_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_user.id"))
    # unique: one attempt yields at most one certification, even if its job runs twice
    attempt_id: Mapped[str | None] = mapped_column(ForeignKey("attempt.id"), unique=True)
    note: Mapped[str | None] = mapped_column(String(200))


class Notification(Base):
    """Every template / customer-service message we tried to send, with WeChat's answer."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("dedupe_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    retiree_id: Mapped[int | None] = mapped_column(ForeignKey("retiree.id"))
    kind: Mapped[str] = mapped_column(String(32))  # cert_result / reminder / suspension / resumption / family_bound / text
    channel: Mapped[str] = mapped_column(String(16), default="template")  # template / custom
    template_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(128))  # e.g. "campaign:7:openid" — exactly once
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)  # queued/sent/failed/skipped/paused
    errcode: Mapped[int | None] = mapped_column(Integer)
    errmsg: Mapped[str | None] = mapped_column(String(200))
    msgid: Mapped[str | None] = mapped_column(String(32))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The outbox lease: until then the row is in someone's hands (queued in rq, being sent, or waiting for
    # WeChat's delivery report after a timed-out send); after it the sweeper hands it out again.
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class AdminUser(Base):
    __tablename__ = "admin_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[AdminRole] = mapped_column(_enum(AdminRole, "admin_role"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    region_ids: Mapped[list] = mapped_column(default=list)  # empty = all regions of the agency
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # raised: sessions end


class AuditLog(Base):
    """Append-only: the ORM refuses updates and deletes, and a trigger refuses them in SQL."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    actor_kind: Mapped[str] = mapped_column(String(16))  # admin / wechat / system / cli
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_kind: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(default=dict)
    request_id: Mapped[str | None] = mapped_column(String(32))
    # Hash chain (storage/audit.py): each entry's hash covers its content and the previous hash.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _audit_is_append_only(_mapper, _conn, _target) -> None:
    raise AppendOnlyError("the audit log is append-only")


class ServiceRequest(Base):
    """Something a family or retiree asked the agency to do: a home visit, or a death report to confirm."""

    __tablename__ = "service_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # home_visit / death_report
    retiree_id: Mapped[int] = mapped_column(ForeignKey("retiree.id"), index=True)
    wechat_user_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_user.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    # open → scheduled → done (home visit); open → confirmed / rejected (death report)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    scheduled_for: Mapped[dt.date | None] = mapped_column(Date)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"))
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    handle_note: Mapped[str | None] = mapped_column(String(200))
    # a home visit: whom to call and when the family is at home
    contact_phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_phone_masked: Mapped[str | None] = mapped_column(String(16))
    preferred_times: Mapped[str | None] = mapped_column(String(100))
    # a death report: when, who reports (relationship), and an optional photo of the certificate
    died_on: Mapped[dt.date | None] = mapped_column(Date)
    reporter_relation: Mapped[str | None] = mapped_column(String(16))
    certificate_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Campaign(Base):
    """A reminder or broadcast to a segment of one agency's retirees, sent through the bot's queue."""

    __tablename__ = "campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    segment: Mapped[dict] = mapped_column(default=dict)  # console.segments: {"kind": ..., "days": ..., "region_ids": [...]}
    template_kind: Mapped[str] = mapped_column(String(32), default="reminder")
    status: Mapped[str] = mapped_column(String(16), default="planned", index=True)  # planned/sending/paused/done/cancelled
    pause_reason: Mapped[str | None] = mapped_column(String(16))  # staff / quota
    paused_on: Mapped[dt.date | None] = mapped_column(Date)  # a quota pause lifts the next day
    # Automatic campaigns carry a key like "auto:3:birthday:2026-11" so the schedule plans each once.
    auto_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # the dispatcher is alive


class CampaignRecipient(Base):
    """One retiree of a campaign; unique per campaign, which is what makes sending exactly once."""

    __tablename__ = "campaign_recipient"
    __table_args__ = (
        UniqueConstraint("campaign_id", "retiree_id"),
        Index("ix_campaign_recipient_todo", "campaign_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    retiree_id: Mapped[int] = mapped_column(ForeignKey("retiree.id"))
    openid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / queued / skipped
    skip_reason: Mapped[str | None] = mapped_column(String(32))  # no_wechat / render_error
    notification_id: Mapped[int | None] = mapped_column(Integer)
