"""The daily run of the yearly cycle: suspend the lapsed, resume the certified, tell them.

Idempotent by construction, so it can run every day, twice a day, or late:

* suspending is ``UPDATE … WHERE pension_status = 'active'`` over those the rules
  call lapsed, with ``suspended_since`` the rule's suspension date (not the day
  the job happened to run), so a run that missed days catches up exactly;
* resuming catches any suspended retiree with a counting certification on or
  after their suspension that did not go through apply_pass, and applies the
  same rule (certification.cycle.payment_effect_of_pass);
* messages carry dedupe keys (``suspension:<id>:<since>``,
  ``resumption:<id>:<certification>``), so a second run sends nothing new.

``dry_run`` computes the same report and writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy import String, cast, func, literal, select, update

from certification import cycle
from flows import notify
from flows.cycles import IN_PERSON_METHODS, policy_of, retiree_state
from flows.standing import LAPSED, bounds_for, standing_query
from storage import audit
from storage.models import (
    Agency,
    AuditLog,
    Binding,
    Certification,
    Notification,
    PensionStatus,
    Retiree,
    WeChatUser,
    utcnow,
)
from wording import zh

log = logging.getLogger("lifecert.console")

BATCH = 1000
RESUMPTION_LOOKBACK = dt.timedelta(days=7)


@dataclasses.dataclass
class CycleReport:
    agency: str
    day: dt.date
    dry_run: bool
    suspend_since: dt.date
    suspended: list[int] = dataclasses.field(default_factory=list)
    resumed: list[int] = dataclasses.field(default_factory=list)
    notified: int = 0
    agency_name: str = ""
    # a dry run's estimate: notices WeChat would carry, and people who would need a call instead
    notices_estimate: int = 0
    without_wechat: int = 0

    def plain(self) -> str:
        """The report in plain words for agency staff: their agency's name, Chinese dates, notices."""
        name = self.agency_name or self.agency
        if self.dry_run:
            text = zh.CYCLE_PLAIN_DRY.format(agency=name, day=zh.date_text(self.day), suspended=len(self.suspended),
                                             since=zh.date_text(self.suspend_since), resumed=len(self.resumed),
                                             notices=self.notices_estimate)
            if self.without_wechat:
                text += zh.CYCLE_PLAIN_CALLS.format(count=self.without_wechat)
            return text + "。"
        return zh.CYCLE_PLAIN_DONE.format(agency=name, day=zh.date_text(self.day), suspended=len(self.suspended),
                                          resumed=len(self.resumed), notified=self.notified)

    def summary(self) -> str:
        verb = zh.CYCLE_VERB_DRY if self.dry_run else zh.CYCLE_VERB_DONE
        return zh.CYCLE_SUMMARY.format(agency=self.agency, day=self.day, verb=verb, suspended=len(self.suspended),
                                       since=self.suspend_since, resumed=len(self.resumed), notified=self.notified)


def _lapsed_ids(session, agency: Agency, bounds) -> list[int]:
    inner = standing_query(bounds, agency.id, None, Retiree.id.label("rid")).subquery()
    return list(session.scalars(select(inner.c.rid).where(inner.c.code == LAPSED).order_by(inner.c.rid)))


def _suspend(session, ids: list[int], since: dt.date, cycle_year: int) -> list[int]:
    done: list[int] = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        # Re-check status in the UPDATE: a pass recorded since the SELECT wins.
        still_active = list(session.scalars(select(Retiree.id).where(
            Retiree.id.in_(chunk), Retiree.pension_status == PensionStatus.active)))
        if not still_active:
            continue
        session.execute(update(Retiree).where(Retiree.id.in_(still_active),
                                              Retiree.pension_status == PensionStatus.active)
                        .values(pension_status=PensionStatus.suspended, suspended_since=since, updated_at=utcnow()))
        audit.record_many(session, "system", "retiree.suspend", [
            {"target_kind": "retiree", "target_id": rid, "detail": {"since": since.isoformat(), "cycle_year": cycle_year}}
            for rid in still_active])
        done.extend(still_active)
    return done


def _resume_missed(session, agency: Agency, policy: cycle.CyclePolicy, dry_run: bool) -> list[int]:
    """Suspended retirees whose later certification did not resume them (recorded outside apply_pass)."""
    rows = session.execute(
        select(Retiree, Certification).join(Certification, Certification.retiree_id == Retiree.id)
        .where(Retiree.agency_id == agency.id, Retiree.pension_status == PensionStatus.suspended,
               Certification.certified_on >= Retiree.suspended_since)
        .order_by(Retiree.id, Certification.certified_on.desc())).all()
    resumed: list[int] = []
    for retiree, cert in rows:
        if retiree.id in resumed or retiree.pension_status != PensionStatus.suspended:
            continue
        if cert.method.value == cycle.METHOD_DATA_COMPARISON and not policy.data_comparison_counts:
            continue
        state = retiree_state(session, retiree, policy, exclude_certification=cert.id)
        effect = cycle.payment_effect_of_pass(state, policy, cert.certified_on, in_person=cert.method in IN_PERSON_METHODS)
        if effect.resume_month is None:
            continue
        resumed.append(retiree.id)
        if dry_run:
            continue
        retiree.pension_status = PensionStatus.active
        retiree.suspended_since = None
        audit.record(session, "system", "retiree.resume", target_kind="retiree", target_id=retiree.id,
                     resume_month=effect.resume_month.isoformat(), back_pay_months=effect.back_pay_months,
                     certification_id=cert.id)  # through storage.audit: the entry joins the hash chain
    return resumed


def _notify(services, session, agency: Agency, suspended_since: dt.date, now: dt.datetime) -> int:
    """Suspension notices for everyone suspended since the cycle's date; resumption notices for the last week."""
    sent = 0
    sent_key = literal("suspension:") + cast(Retiree.id, String) + literal(f":{suspended_since.isoformat()}")
    already = select(Notification.id).where(Notification.dedupe_key == sent_key).exists()
    for retiree in session.scalars(select(Retiree).where(Retiree.agency_id == agency.id,
                                                         Retiree.pension_status == PensionStatus.suspended,
                                                         Retiree.suspended_since == suspended_since, ~already)):
        if notify.notify_retiree(services, session, retiree, "suspension", {"since": suspended_since},
                                  f"suspension:{retiree.id}:{suspended_since.isoformat()}"):
            sent += 1
    entries = session.execute(select(AuditLog.target_id, AuditLog.detail).where(
        AuditLog.action == "retiree.resume", AuditLog.at >= now - RESUMPTION_LOOKBACK)).all()
    for target_id, detail in entries:
        retiree = session.get(Retiree, int(target_id))
        if retiree is None or retiree.agency_id != agency.id or not detail.get("resume_month"):
            continue
        key = f"resumption:{retiree.id}:{detail.get('certification_id')}"
        if session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
            continue
        if notify.notify_retiree(services, session, retiree, "resumption",
                                  {"from_date": dt.date.fromisoformat(detail["resume_month"])}, key):
            sent += 1
    return sent


def _reachable(session, retiree_ids: list[int]) -> tuple[int, int]:
    """(how many of these people a WeChat notice reaches — a subscribed account bound to them —, how many not)."""
    reached = 0
    for start in range(0, len(retiree_ids), BATCH):
        chunk = retiree_ids[start:start + BATCH]
        reached += session.scalar(select(func.count(func.distinct(Binding.retiree_id)))
                                  .join(WeChatUser, WeChatUser.id == Binding.wechat_user_id)
                                  .where(Binding.retiree_id.in_(chunk), Binding.revoked_at.is_(None),
                                         WeChatUser.subscribed.is_(True), WeChatUser.oa_openid.is_not(None))) or 0
    return reached, len(set(retiree_ids)) - reached


def run_cycle(services, today: dt.date, dry_run: bool = False, agency_codes: list[str] | None = None,
              notify: bool = True) -> list[CycleReport]:
    """Apply the cycle rules for ``today`` to every agency with a policy (or those named)."""
    reports = []
    with services.db.session() as session:
        query = select(Agency).order_by(Agency.id)
        if agency_codes:
            query = query.where(Agency.code.in_(agency_codes))
        agencies = [a for a in session.scalars(query) if a.cycle_policy]
    for agency in agencies:
        policy = policy_of(agency)
        bounds = bounds_for(policy, today)
        since = bounds.current_start  # the previous cycle's suspension date
        report = CycleReport(agency.code, today, dry_run, since, agency_name=agency.name)
        with services.db.session() as session:
            lapsed = _lapsed_ids(session, agency, bounds)
            report.resumed = _resume_missed(session, agency, policy, dry_run)
            report.suspended = lapsed if dry_run else _suspend(session, lapsed, since, bounds.cycle_year - 1)
            if dry_run:
                report.notices_estimate, report.without_wechat = _reachable(
                    session, [*report.suspended, *report.resumed])
                session.rollback()
            elif notify:  # the notices are written with the suspensions and resumptions, in one transaction
                session.flush()
                report.notified = _notify(services, session, agency, since, utcnow())
        log.info("cycle run", extra={"agency_id": agency.id, "dry_run": dry_run, "suspended": len(report.suspended),
                                     "resumed": len(report.resumed), "notified": report.notified})
        reports.append(report)
    return reports
