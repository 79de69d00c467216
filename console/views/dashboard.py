"""Console section: dashboard."""

from __future__ import annotations

from flask import (
    Blueprint,
    render_template,
)
from sqlalchemy import func, select

from console import charts
from console.auth import require
from console.views.common import agency_today, services, viewer
from flows import standing
from flows.dashboard import figures
from storage.models import (
    Agency,
    Attempt,
    Retiree,
)
from wording import zh

bp = Blueprint("dashboard", __name__)

# --- dashboard ---------------------------------------------------------------------


@bp.get("/")
@require("dashboard")
def dashboard():

    with services().db.session() as s:
        agency = s.get(Agency, viewer().agency_id)
        if not agency.cycle_policy:
            return render_template("console/message.html", title=zh.NO_CYCLE[0],
                                   text=zh.NO_CYCLE[1])
        data = figures(s, agency, viewer().scope, agency_today())
        waiting = (select(func.count(Attempt.id)).join(Retiree, Retiree.id == Attempt.retiree_id)
                   .where(Retiree.agency_id == agency.id, Attempt.status == "review"))
        if viewer().scope:
            waiting = waiting.where(Retiree.region_id.in_(viewer().scope))
        review_waiting = s.scalar(waiting)
    merged = [{**c, "overdue": c["overdue"] + c["lapsed"]} for c in data["by_region"]]
    region_chart = charts.stacked_bars(data["regions"], [
        (code, standing.LABELS[code], [c[code] for c in merged]) for code in ("certified", "due", "overdue", "suspended")
    ], title=zh.CHART_REGIONS)
    month_chart = charts.stacked_bars([m[2:] for m in data["months"]], [
        ("face", zh.CHART_FACE, data["face_by_month"]), ("other", zh.CHART_OTHER, data["other_by_month"])], bar_height=18,
        title=zh.CHART_MONTHLY)
    rate_chart = charts.columns([zh.CHART_MONTH.format(month=m[5:]) for m in data["months"]], data["pass_rate_by_month"],
                                title=zh.CHART_PASS_RATE)
    return render_template("console/dashboard.html", data=data, region_chart=region_chart, month_chart=month_chart,
                           rate_chart=rate_chart, review_waiting=review_waiting)


