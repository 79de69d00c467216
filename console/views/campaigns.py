"""Console section: campaigns."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from console.auth import require
from console.views.common import services, viewer
from flows import campaigns, standing
from flows.cycles import policy_of
from storage.models import (
    Agency,
    Campaign,
    Region,
)

bp = Blueprint("campaigns", __name__)

# --- campaigns ---------------------------------------------------------------------------


def _segment_from_form() -> dict:
    segment = {"kind": request.values.get("kind", "due_month")}
    region_ids = [int(r) for r in request.values.getlist("region_ids") if r.isdigit()]
    scope = viewer().scope
    if scope:
        region_ids = [r for r in region_ids if r in scope] or scope
    if region_ids:
        segment["region_ids"] = region_ids
    return segment


@bp.get("/campaigns")
@require("campaign")
def campaigns_page():
    with services().db.session() as s:
        rows = list(s.scalars(select(Campaign).where(Campaign.agency_id == viewer().agency_id)
                              .order_by(Campaign.id.desc()).limit(100)))
        regions = list(s.scalars(select(Region).where(Region.agency_id == viewer().agency_id).order_by(Region.name)))
    return render_template("console/campaigns.html", rows=rows, regions=regions, segments=campaigns.SEGMENTS,
                           status_labels=campaigns.STATUS_LABELS)


@bp.get("/campaigns/preview")
@require("campaign")
def campaign_preview():
    segment = _segment_from_form()
    if segment["kind"] not in campaigns.SEGMENTS:
        abort(400)
    with services().db.session() as s:
        agency = s.get(Agency, viewer().agency_id)
        data = campaigns.preview(s, agency, segment, dt.date.today())
        bounds = standing.bounds_for(policy_of(agency), dt.date.today())
    return render_template("console/campaign_preview.html", segment=segment, data=data, bounds=bounds,
                           segment_label=campaigns.SEGMENTS[segment["kind"]])


@bp.post("/campaigns")
@require("campaign")
def campaign_create():
    segment = _segment_from_form()
    if segment["kind"] not in campaigns.SEGMENTS:
        abort(400)
    name = request.form.get("name", "").strip() or campaigns.SEGMENTS[segment["kind"]]
    with services().db.session() as s:
        agency = s.get(Agency, viewer().agency_id)
        campaign = campaigns.plan(s, agency, name, segment, dt.date.today(), admin_id=viewer().id)
        cid = campaign.id
    if request.form.get("start") == "1":
        campaigns.set_status(services(), cid, "start", viewer().id)
    return redirect(url_for("console.campaigns.campaign_detail", campaign_id=cid))


def _campaign_or_404(s, campaign_id: int) -> Campaign:
    campaign = s.get(Campaign, campaign_id)
    if campaign is None or campaign.agency_id != viewer().agency_id:
        abort(404)
    return campaign


@bp.get("/campaigns/<int:campaign_id>")
@require("campaign")
def campaign_detail(campaign_id: int):
    status = request.args.get("result") or None
    page = max(int(request.args.get("page", "1") or 1), 1)
    with services().db.session() as s:
        campaign = _campaign_or_404(s, campaign_id)
        counts = campaigns.result_counts(s, campaign_id)
        rows = campaigns.recipients_page(s, campaign_id, status, offset=(page - 1) * 50)
    handled = campaign.total - counts.get("pending", 0)
    percent = int(handled * 100 / campaign.total) if campaign.total else 100
    return render_template("console/campaign_detail.html", campaign=campaign, counts=counts, rows=rows, page=page,
                           percent=percent,
                           result=status, result_labels=campaigns.RESULT_LABELS, status_labels=campaigns.STATUS_LABELS,
                           segment_label=campaigns.SEGMENTS.get(campaign.segment.get("kind"), ""))


@bp.get("/campaigns/<int:campaign_id>/progress")
@require("campaign")
def campaign_progress(campaign_id: int):
    with services().db.session() as s:
        campaign = _campaign_or_404(s, campaign_id)
        counts = campaigns.result_counts(s, campaign_id)
    handled = campaign.total - counts.get("pending", 0)
    return jsonify(status=campaign.status, status_label=campaigns.STATUS_LABELS.get(campaign.status, campaign.status),
                   total=campaign.total, handled=handled, counts=counts,
                   percent=int(handled * 100 / campaign.total) if campaign.total else 100)


@bp.post("/campaigns/<int:campaign_id>/<action>")
@require("campaign")
def campaign_action(campaign_id: int, action: str):
    if action not in ("start", "pause", "resume", "cancel"):
        abort(404)
    with services().db.session() as s:
        _campaign_or_404(s, campaign_id)
    campaigns.set_status(services(), campaign_id, action, viewer().id)
    return redirect(url_for("console.campaigns.campaign_detail", campaign_id=campaign_id))


