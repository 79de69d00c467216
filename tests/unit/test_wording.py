"""One wording table: every code the product emits has words, no words wait for a code nobody emits.

Codes are found where they are made: vision's tables, the flows' own literals (read by AST, so a
new ``FlowError("…")`` without words fails here), the storage enums and the template kinds.
WeChat template fields hold at most 20 characters, checked on what is actually rendered.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import re
import sys
from pathlib import Path

import pytest

from certification.attempts import AttemptRefusal
from certification.challenge import ChallengeState
from certification.cycle import StatusCode
from certification.idnumber import IdNumberProblem
from certification.phone import BAD_PHONE
from flows import get_row, people, standing, verification
from storage.models import AdminRole, Attempt, AttemptStatus, BindingKind, CertificationMethod, PensionStatus
from vision import pipeline
from web.presenters import attempt_json
from wechat import menu, templates
from wechat.config import WeChatSettings
from wording import zh

ROOT = Path(__file__).resolve().parents[2]
HAN = re.compile(r"[\u4e00-\u9fff]")


def _tree(rel: str) -> ast.AST:
    return ast.parse((ROOT / rel).read_text(encoding="utf-8"))


def _raised_codes(exception: str) -> set[str]:
    """Literal codes of ``exception("…")`` calls anywhere in flows/ (for FlowError also the
    codes ``get_row`` raises: its fourth argument, or its default)."""
    found = set()
    for path in sorted((ROOT / "flows").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if (node.func.id == exception
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
            if exception == "FlowError" and node.func.id == "get_row":
                code = node.args[3] if len(node.args) > 3 else None
                found.add(code.value if isinstance(code, ast.Constant) else inspect.signature(get_row)
                          .parameters["code"].default)
    return found


def _string_lists_returned(rel: str, function: str) -> set[str]:
    """Strings in ``return ["…"]`` / ``or ["…"]`` list literals inside ``function`` of ``rel``."""
    fn = next(n for n in ast.walk(_tree(rel)) if isinstance(n, ast.FunctionDef) and n.name == function)
    return {e.value for n in ast.walk(fn) if isinstance(n, ast.List)
            for e in n.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def _strings_returned(rel: str, function: str) -> set[str]:
    """Strings in ``return "…"`` statements inside ``function`` of ``rel``."""
    fn = next(n for n in ast.walk(_tree(rel)) if isinstance(n, ast.FunctionDef) and n.name == function)
    return {n.value.value for n in ast.walk(fn) if isinstance(n, ast.Return)
            and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}


def _appended(rel: str, name: str) -> set[str]:
    """Strings passed to ``<name>.append("…")`` in ``rel``."""
    return {n.args[0].value for n in ast.walk(_tree(rel))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "append"
            and isinstance(n.func.value, ast.Name) and n.func.value.id == name
            and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)}


# --- face-check reasons and advice ----------------------------------------------------------

def _flow_reasons() -> set[str]:
    source = (ROOT / "flows" / "verification.py").read_text(encoding="utf-8")
    own = set(verification.REUSED_VIDEO.reasons) | set(verification.NOT_AUTHORIZED.reasons)
    if '"repeated_failures"' in source:
        own.add("repeated_failures")
    return own


def test_every_reason_vision_or_the_flows_emit_has_words_and_no_other():
    emitted = set(pipeline.ADVICE) | set(pipeline.REVIEW_REASONS) | _flow_reasons()
    assert sorted(emitted - zh.REASONS.keys()) == []
    assert sorted(zh.REASONS.keys() - emitted) == []


def test_every_advice_code_emitted_has_words_and_no_other():
    emitted = {a for advice in pipeline.ADVICE.values() for a in advice} | {"try_again"}
    emitted |= set(verification.REUSED_VIDEO.advice)
    assert sorted(emitted - zh.ADVICE.keys()) == []
    assert sorted(zh.ADVICE.keys() - emitted) == []


def test_the_codes_that_used_to_disagree_are_worded():
    # vision says alone_in_frame / move_closer / hold_phone_steady; review reasons read as review, not "没有通过"
    assert zh.advice_text(["alone_in_frame", "move_closer", "hold_phone_steady"]).count("；") == 2
    for code in ("match_uncertain", "no_template"):
        assert zh.reason_text([code]) != zh.UNKNOWN_FAILURE
        assert "人工" in zh.reason_text([code])


# --- refusals -----------------------------------------------------------------------------

def _flow_error_codes() -> set[str]:
    codes = _raised_codes("FlowError")
    codes |= {r.value for r in AttemptRefusal}  # flows.certify: FlowError(refusal.value)
    codes |= {f"challenge_{s.value}" for s in ChallengeState if s is not ChallengeState.open}
    codes |= set(people._REASON_TO_CODE.values())  # flows.people: binding decisions
    codes |= {p.value for p in IdNumberProblem}  # flows.people.link_self: FlowError(str(exc.code))
    codes |= _strings_returned("flows/certify.py", "stream_problem")  # FlowError(problem)
    return codes


def test_every_flow_error_code_has_words():
    codes = _flow_error_codes()
    assert "token_invalid" in codes and "too_many_today" in codes  # the scan finds literals and enums
    missing = sorted(c for c in codes if zh.refusal_text(c) == zh.UNKNOWN_REFUSAL)
    assert missing == []


def test_no_refusal_words_for_a_code_nobody_raises():
    entry_point_codes = {"rate_limited"}  # web.login's own limiter
    assert sorted(zh.REFUSALS.keys() - _flow_error_codes() - entry_point_codes) == []


def test_console_errors_match_the_agency_side_codes():
    codes = _raised_codes("ChannelError") | _raised_codes("ReviewError")
    assert sorted(codes - zh.CONSOLE_ERRORS.keys()) == []
    assert sorted(zh.CONSOLE_ERRORS.keys() - codes) == []


# --- imports -------------------------------------------------------------------------------

def test_every_photo_rejection_has_words_and_no_other():
    emitted = _appended("vision/enroll.py", "reasons") | _string_lists_returned("flows/imports.py", "_enroll_entry")
    assert "not_frontal" in emitted and "duplicate_in_zip" in emitted
    assert sorted(emitted - zh.PHOTO_REASONS.keys()) == []
    assert sorted(zh.PHOTO_REASONS.keys() - emitted) == []


def test_every_roster_row_error_has_words_and_no_other():
    literals = {n.value for n in ast.walk(_tree("flows/roster.py"))
                if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code" for t in n.targets)
                for n in [n.value] if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    emitted = literals | {"duplicate_in_file"} | {p.value for p in IdNumberProblem} | {BAD_PHONE}
    assert {"missing_name", "bad_name"} <= literals
    assert sorted(emitted - zh.ROSTER_ROW_ERRORS.keys()) == []
    assert sorted(zh.ROSTER_ROW_ERRORS.keys() - emitted) == []


# --- statuses ------------------------------------------------------------------------------

@pytest.mark.parametrize(("table", "codes"), [
    (zh.PENSION_STATUS, {s.value for s in PensionStatus}),
    (zh.BINDING_KINDS, {k.value for k in BindingKind}),
    (zh.METHODS, {m.value for m in CertificationMethod}),
    (zh.ROLES, {r.value for r in AdminRole}),
    (zh.PERSON_STATUS, {s.value for s in StatusCode}),
    (zh.STANDING, set(standing.CODES)),
], ids=["pension", "binding", "method", "role", "person", "standing"])
def test_every_status_has_words_and_no_other(table, codes):
    assert sorted(codes - table.keys()) == []
    assert sorted(table.keys() - codes) == []
    assert all(HAN.search(v) for v in table.values())


@pytest.mark.parametrize("status", list(AttemptStatus), ids=lambda s: s.value)
def test_every_attempt_status_has_a_headline_and_detail(status):
    shown = attempt_json(Attempt(id="a1", status=status, reasons=["too_dark"], advice=["more_light"]))
    assert HAN.search(shown["headline"]) and HAN.search(shown["detail"])


# --- template messages ---------------------------------------------------------------------

AT = dt.datetime(2026, 12, 31, 23, 59)
FIELDS = {
    "cert_result": {"name": "欧阳*明", "passed": True, "at": AT},
    "reminder": {"name": "欧阳*明", "deadline": dt.date(2026, 12, 31)},
    "suspension": {"name": "欧阳*明", "since": dt.date(2026, 12, 1)},
    "resumption": {"name": "欧阳*明", "from_date": dt.date(2026, 12, 1)},
    "family_bound": {"name": "欧阳*明", "family": zh.FAMILY_MEMBER, "at": AT, "hotline": "0451-12333"},
}


def test_every_template_kind_has_a_title_and_sample_fields():
    assert set(templates.KINDS) == set(zh.TEMPLATE_TITLES) == set(FIELDS)
    assert all(templates.title(k) == zh.TEMPLATE_TITLES[k] for k in templates.KINDS)


@pytest.mark.parametrize("kind", sorted(FIELDS))
def test_rendered_fixed_texts_fit_wechats_20_characters(kind):
    data = templates.render(kind, FIELDS[kind])  # raises on a field over 20 characters or with a line break
    assert all(0 < len(v["value"]) <= templates.MAX_FIELD_CHARS for v in data.values())


@pytest.mark.parametrize("reason", sorted(zh.REASONS))
def test_every_failure_reason_fits_a_template_field(reason):
    templates.render("cert_result", {"name": "张*", "passed": False, "at": AT, "reason": reason})
    templates.render("cert_result", {"name": "张*", "passed": False, "at": AT, "reason_text": zh.reason_text([reason]),
                                     "next_step": zh.TRY_AGAIN})


def test_every_next_step_the_flows_send_fits_a_template_field():
    steps = [zh.REVIEW_NOT_PASSED, zh.REVIEW_NEXT_STEP, zh.REVIEW_PENDING, zh.REVIEW_PENDING_STEP, zh.TRY_AGAIN,
             *zh.GENERIC_FAILURE, *zh.ADVICE.values(), *zh.REJECT_REASONS]
    for step in steps:
        templates.render("cert_result", {"name": "张*", "passed": False, "at": AT, "reason_text": step, "next_step": step})


def test_menu_names_are_within_wechats_limits():
    assert menu.problems(menu.build_menu(WeChatSettings())) == []


# --- one date formatter, and the table's own imports --------------------------------------

def test_one_date_formatter():
    assert zh.date_text(dt.date(2026, 3, 5)) == "2026年3月5日"
    assert zh.date_text("2026-03-05") == "2026年3月5日"
    assert zh.date_text(dt.datetime(2026, 3, 5, 9, 7)) == "2026年3月5日"
    assert zh.date_text(dt.datetime(2026, 3, 5, 9, 7), with_time=True) == "2026年3月5日 09:07"
    assert zh.date_text(None) == "" and zh.date_text("2026年3月") == "2026年3月"
    assert zh.month_text(dt.date(2026, 3, 1)) == "2026年03月"


def test_wording_imports_only_certification_and_the_standard_library():
    for path in (ROOT / "wording").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in ("__future__", "certification"), (path, name)


def test_no_chinese_literals_left_in_the_code_users_meet():
    """Chinese outside wording/ sits only in comments and docstrings (and the HTML templates)."""
    rooms = ("app.py", "bot", "certification", "cli", "console", "flows", "jobs", "sms", "storage", "web", "wechat")
    found = []
    for room in rooms:
        paths = [ROOT / room] if room.endswith(".py") else sorted((ROOT / room).rglob("*.py"))
        for path in paths:
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            # docstrings, including those under an attribute: a bare string statement is documentation
            docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
            for node in ast.walk(tree):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str) and HAN.search(node.value)
                        and id(node) not in docstrings):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
