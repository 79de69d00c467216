"""Charts for the dashboard as inline SVG, drawn on the server: no script, no CDN, prints well.

Two shapes cover the dashboard: stacked bars (standing by region, certifications
by month) and horizontal bars (the commonest failure reasons).
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

PALETTE = {"certified": "#2e7d32", "due": "#1565c0", "overdue": "#ef6c00", "suspended": "#c62828",
           "stopped": "#616161", "face": "#2e7d32", "other": "#6a1b9a", "bar": "#1565c0"}


def stacked_bars(categories: list[str], series: list[tuple[str, str, list[int]]], width: int = 760,
                 bar_height: int = 30, title: str = "") -> Markup:
    """Horizontal stacked bars: one row per category; ``series`` = [(key, label, values)]."""
    label_w, gap, top = 120, 10, 40
    totals = [sum(s[2][i] for s in series) for i in range(len(categories))]
    scale = (width - label_w - 70) / max(max(totals, default=0), 1)
    height = top + len(categories) * (bar_height + gap) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px;font-size:16px">']
    x: float = label_w
    for key, label, _values in series:  # legend
        parts.append(f'<rect x="{x}" y="6" width="16" height="16" fill="{PALETTE.get(key, "#888")}"/>'
                     f'<text x="{x + 22}" y="20">{escape(label)}</text>')
        x += 40 + 18 * len(label)
    for i, category in enumerate(categories):
        y = top + i * (bar_height + gap)
        parts.append(f'<text x="{label_w - 8}" y="{y + bar_height * 0.7}" text-anchor="end">{escape(category)}</text>')
        x = float(label_w)
        for key, label, values in series:
            w = values[i] * scale
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                             f'fill="{PALETTE.get(key, "#888")}"><title>{escape(category)} {escape(label)}：'
                             f'{values[i]}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar_height * 0.7}">{totals[i]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(labels: list[str], values: list[int], width: int = 760, height: int = 240, title: str = "",
            color: str = PALETTE["bar"]) -> Markup:
    """Vertical bars with the value on top: a count per month."""
    left, bottom, top = 10, 30, 24
    n = max(len(values), 1)
    slot = (width - left * 2) / n
    scale = (height - bottom - top) / max(max(values, default=0), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px;font-size:14px">']
    for i, (label, value) in enumerate(zip(labels, values)):
        h = value * scale
        x = left + i * slot + slot * 0.15
        y = height - bottom - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{color}">'
                     f'<title>{escape(label)}：{value}</title></rect>'
                     f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle">{value}</text>'
                     f'<text x="{x + slot * 0.35:.1f}" y="{height - 10}" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
