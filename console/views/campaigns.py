"""Console section: campaigns."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from console.auth import require
from console.views.common import agency_today, audit_action, services, viewer
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
    segment: dict[str, Any] = {"kind": request.values.get("kind", "due_month")}
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
        rows = [c for c in s.scalars(select(Campaign).where(Campaign.agency_id == viewer().agency_id)
                                     .order_by(Campaign.id.desc()).limit(100)) if _in_scope(c)]
        regions = [r for r in s.scalars(select(Region).where(Region.agency_id == viewer().agency_id)
                                        .order_by(Region.name)) if not viewer().scope or r.id in viewer().scope]
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
        data = campaigns.preview(s, agency, segment, agency_today())
        bounds = standing.bounds_for(policy_of(agency), agency_today())
    return render_template("console/campaign_preview.html", segment=segment, data=data, bounds=bounds,
                           segment_label=campaigns.SEGMENTS[segment["kind"]])


@bp.get("/campaigns/call-list.xlsx")
@require("campaign")
def campaign_call_list():
    """The segment's people without a followed WeChat account, with phone numbers, for calling."""
    segment = _segment_from_form()
    if segment["kind"] not in campaigns.SEGMENTS:
        abort(400)
    with services().db.session() as s:
        agency = s.get(Agency, viewer().agency_id)
        rows = campaigns.call_list(s, services().cipher, agency, segment, agency_today())
        audit_action(s, "campaign.call_list", target_kind="agency", target_id=agency.id, segment=segment["kind"],
                     rows=len(rows))
    return Response(campaigns.call_list_xlsx(rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=call-list-{segment['kind']}.xlsx"})


@bp.post("/campaigns")
@require("campaign")
def campaign_create():
    segment = _segment_from_form()
    if segment["kind"] not in campaigns.SEGMENTS:
        abort(400)
    name = request.form.get("name", "").strip() or campaigns.SEGMENTS[segment["kind"]]
    with services().db.session() as s:
        agency = s.get(Agency, viewer().agency_id)
        campaign = campaigns.plan(s, agency, name, segment, agency_today(), admin_id=viewer().id)
        cid = campaign.id
    if request.form.get("start") == "1":
        campaigns.set_status(services(), cid, "start", viewer().id)
    return redirect(url_for("console.campaigns.campaign_detail", campaign_id=cid))


def _in_scope(campaign: Campaign) -> bool:
    """A region-limited admin sees only campaigns whose segment lies inside their regions."""
    scope = viewer().scope
    if not scope:
        return True
    region_ids = (campaign.segment or {}).get("region_ids") or []
    return bool(region_ids) and set(region_ids) <= set(scope)


def _campaign_or_404(s, campaign_id: int) -> Campaign:
    campaign = s.get(Campaign, campaign_id)
    if campaign is None or campaign.agency_id != viewer().agency_id or not _in_scope(campaign):
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
        audit_action(s, "campaign.recipients", target_kind="campaign", target_id=campaign_id, page=page, shown=len(rows))
    handled = campaign.total - counts.get("pending", 0)
    percent = int(handled * 100 / campaign.total) if campaign.total else 100
    return render_template("console/campaign_detail.html", campaign=campaign, counts=counts, rows=rows, page=page,
                           percent=percent,
                           result=status, result_labels=campaigns.RESULT_LABELS, status_labels=campaigns.STATUS_LABELS,
                           segment_label=campaigns.SEGMENTS.get(str(campaign.segment.get("kind")), ""))


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


