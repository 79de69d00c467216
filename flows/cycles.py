"""The yearly cycle against the database: a retiree's state, and what a pass does to payment.

The rules themselves are pure (certification.cycle); this module only reads the
facts they need from the rows and writes back what they decide.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from certification import cycle
from flows import clock, get_row
from storage import audit
from storage.db import insert_for
from storage.models import (
    Agency,
    Certification,
    CertificationCycle,
    CertificationMethod,
    PensionStatus,
    Retiree,
)

log = logging.getLogger("lifecert.flows.cycles")

IN_PERSON_METHODS = {CertificationMethod.on_site, CertificationMethod.home_visit, CertificationMethod.manual_review}


def policy_of(agency: Agency) -> cycle.CyclePolicy:
    if not agency.cycle_policy:
        raise ValueError(f"agency {agency.code} has no cycle policy (set it with `flask create-agency`)")
    return cycle.CyclePolicy.from_dict(agency.cycle_policy)


def retiree_state(session: Session, retiree: Retiree, policy: cycle.CyclePolicy,
                  exclude_certification: int | None = None) -> cycle.RetireeState:
    """The facts the rules need, with the latest certification that counts under ``policy``."""
    query = select(Certification.certified_on, Certification.method).where(Certification.retiree_id == retiree.id)
    if exclude_certification is not None:
        query = query.where(Certification.id != exclude_certification)
    if not policy.data_comparison_counts:
        query = query.where(Certification.method != CertificationMethod.data_comparison)
    latest = session.execute(query.order_by(Certification.certified_on.desc()).limit(1)).first()
    if latest is not None:
        last_on, last_method = latest.certified_on, latest.method.value
    else:
        # Someone imported from the roster is being paid, so the cycle before their
        # enrolment counts as settled: they are due, not overdue (console/standing.py
        # applies the same rule in SQL).
        enrolled = clock.local_date_of(retiree.created_at or clock.now_utc())
        last_on = cycle.cycle_start(policy, cycle.cycle_year_of(policy, enrolled) - 1)
        last_method = "enrolment"
    return cycle.RetireeState(
        birth_date=retiree.birth_date,
        status=retiree.pension_status.value,
        suspended_since=retiree.suspended_since if retiree.pension_status == PensionStatus.suspended else None,
        last_certified_on=last_on,
        last_method=last_method,
    )


def cycle_row(session: Session, agency: Agency, policy: cycle.CyclePolicy, day: dt.date) -> CertificationCycle:
    """The cycle ``day`` belongs to, created on first use.

    Two workers may record the year's first passes at the same moment: both find no row, and
    a plain INSERT would kill the second job on the unique (agency, year). The insert skips a
    row another transaction has just written (PostgreSQL waits for it to commit), and the row
    is read again, whoever wrote it.
    """
    year = cycle.cycle_year_of(policy, day)
    query = select(CertificationCycle).where(CertificationCycle.agency_id == agency.id,
                                             CertificationCycle.year == year)
    row = session.scalar(query)
    if row is None:
        session.execute(insert_for(session, CertificationCycle).values(
            agency_id=agency.id, year=year, starts_on=cycle.cycle_start(policy, year),
            deadline=cycle.deadline_for(policy, year), suspend_on=cycle.suspension_date_for(policy, year),
        ).on_conflict_do_nothing(index_elements=["agency_id", "year"]))
        row = session.scalars(query).one()
    return row


def apply_pass(session: Session, retiree: Retiree, certification: Certification,
               today: dt.date) -> cycle.PassEffect:
    """File ``certification`` under its cycle and resume a suspended pension if the rules allow.

    Called inside the transaction that records the certification, so the
    certification and the resumption are written together or not at all.
    """
    agency = get_row(session, Agency, retiree.agency_id)
    policy = policy_of(agency)
    certification.cycle_id = cycle_row(session, agency, policy, today).id
    session.flush()
    state = retiree_state(session, retiree, policy, exclude_certification=certification.id)
    effect = cycle.payment_effect_of_pass(state, policy, today,
                                         in_person=certification.method in IN_PERSON_METHODS)
    if effect.resume_month is not None:
        retiree.pension_status = PensionStatus.active
        retiree.suspended_since = None
        audit.record(session, "system", "retiree.resume", target_kind="retiree", target_id=retiree.id,
                     resume_month=effect.resume_month.isoformat(), back_pay_months=effect.back_pay_months,
                     certification_id=certification.id)
        log.info("pension resumed", extra={"retiree_id": retiree.id, "back_pay_months": effect.back_pay_months})
    return effect
