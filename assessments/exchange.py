"""Assessments as plain data (JSON): export one, and import it into another instance.

The file names the project and the question set by their keys, so it can be read by any dxpia
with the same catalogue and question set; importing it gives an assessment with the same answers,
notes, sources and inventory, and so the same report. The demonstration assessment uses the same
format (dxpia/fixtures/demo/misato-demo.json).
"""

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments import action_plan, answer_saving, reviewing, services
from assessments.answer_values import MAX_TEXT_LENGTH, clean_answer, clean_text, mark_of
from assessments.forms import LetterDetailsForm, ResidentViewsForm, RowErrors, clean_rows
from assessments.models import (Assessment, DismissedSuggestion, LetterDetails, Project, Question, QuestionSet,
                                ResidentViews, Risk)

FORMAT = "dxpia-assessment"
FORMAT_VERSION = 1


class AssessmentFileError(ValueError):
    pass


def assessment_to_data(assessment: Assessment) -> dict:
    answers = {}
    inventory = []
    stored = assessment.answers.select_related("question").prefetch_related("evidence", "inventory_rows")
    for answer in sorted(stored, key=lambda a: (a.question.section_id, a.question.position)):
        if answer.question.type == Question.Type.INVENTORY:
            inventory = answer_saving.row_dicts(answer)
        answers[answer.question.key] = {
            "value": answer.value,
            "note": answer.note,
            "evidence": [
                {**item, "date": item["date"].isoformat() if item["date"] else ""}
                for item in answer_saving.evidence_dicts(answer)
            ],
        }
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "project": assessment.project.key,
        "question_set": {"key": assessment.question_set.key, "version": assessment.question_set.version},
        "title": assessment.title,
        "standpoint": assessment.standpoint,
        "answers": answers,
        "inventory": inventory,
    }
    # The action plan, written only when there is one (files of assessments without a plan stay as
    # they were). Its 承認の条件 is information: an import does not carry it (action_plan.actions_from_data).
    numbers = action_plan.risk_numbers(assessment)  # an action names its risk by the risk's number
    actions = [action_plan.action_data(a, numbers.get(a.risk_id))
               for a in assessment.planned_actions.select_related("question").order_by("pk")]
    if actions:
        data["actions"] = actions
    data.update(_risks_to_data(assessment))
    # The residents' and data subjects' views (住民・当事者の意見): printed in the report and part of
    # what the review body approves, so they travel with the answers; written only when recorded.
    views = ResidentViews.objects.filter(assessment=assessment).first()
    if views is not None:
        data["resident_views"] = reviewing.resident_views_data(views)
    details = LetterDetails.objects.filter(assessment=assessment).first()
    if details is not None:
        data["letter"] = {
            name: (value.isoformat() if hasattr(value, "isoformat") else value) if value is not None else ""
            for name, value in ((name, getattr(details, name)) for name in services.LETTER_FIELDS)
        }
    return data


def _risks_to_data(assessment: Assessment) -> dict:
    """The register (risks by their harms', questions' and data items' keys and names) and the
    suggestions set aside; written only when there are any, so that files without them stay as
    they were."""
    from assessments.risks import RISK_FIELDS

    data = {}
    risks = [
        {**{name: getattr(risk, name) for name in RISK_FIELDS},
         "harms": [h.key for h in sorted(risk.harms.all(), key=lambda h: (h.position, h.pk))],
         "questions": [q.key for q in sorted(risk.questions.all(), key=lambda q: (q.section_id, q.position, q.pk))]}
        for risk in Risk.objects.filter(assessment=assessment).order_by("pk").prefetch_related("harms", "questions")
    ]
    if risks:
        data["risks"] = risks
    dismissed = [{"rule": d.rule_key, "reason": d.reason} for d in
                 DismissedSuggestion.objects.filter(assessment=assessment, restored_at=None).order_by("dismissed_at", "pk")]
    if dismissed:
        data["dismissed_suggestions"] = dismissed
    return data


def _risks_from_data(assessment: Assessment, data: dict, user) -> dict:
    """The file's risks and dismissed suggestions, cleaned by the same form and services as the
    risk pages (any problem refuses the whole file). Returns the risks made by their number in the
    file (1, 2, …), which the file's actions name."""
    from assessments import risks as risk_services
    from assessments import selectors
    from assessments.risk_forms import RiskForm

    items, dismissed = data.get("risks", []), data.get("dismissed_suggestions", [])
    if not isinstance(items, list) or not isinstance(dismissed, list):
        raise AssessmentFileError("「risks」と「dismissed_suggestions」はリストにしてください。")
    if not items and not dismissed:
        return {}
    part = risk_services.risk_part(assessment.question_set)
    if part.model is None:
        raise AssessmentFileError(f"質問セット {assessment.question_set} にはリスクの部がありません。")
    workspace = selectors.assessment_workspace(assessment)
    made = {}
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise AssessmentFileError(f"リスク{index}が正しくありません。")
        names = item.get("data_items", [])
        form = RiskForm(
            _risk_form_data(item), part=part, questions=workspace.questions,
            items=risk_services.inventory_items(workspace),
            linked_items=[n for n in names if isinstance(n, str)] if isinstance(names, list) else [],
        )
        if not form.is_valid():
            problems = [f"{form.fields[name].label if name in form.fields else ''} {' '.join(errors)}".strip()
                        for name, errors in form.errors.items()]
            raise AssessmentFileError(f"リスク{index}が正しくありません: " + "、".join(problems))
        try:
            made[index] = risk_services.risk_create(assessment=assessment, user=user, values=form.values())
        except ValidationError as error:
            raise AssessmentFileError(f"リスク{index}が正しくありません: {' '.join(error.messages)}") from None
    for index, item in enumerate(dismissed, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("rule"), str):
            raise AssessmentFileError(f"見送った示唆{index}が正しくありません。")
        try:
            risk_services.suggestion_dismiss(assessment=assessment, user=user, rule_key=item["rule"],
                                             reason=item.get("reason"), require_arising=False)
        except ValidationError as error:
            raise AssessmentFileError(f"見送った示唆{index}が正しくありません: {' '.join(error.messages)}") from None
    return made


def _risk_form_data(item: dict) -> dict:
    """A risk of a file as the risk form's POST data."""
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for name in ("title", "description", "existing_measures", "residual_note", "origin_rule"):
        value = item.get(name, "")
        if not isinstance(value, str):
            raise AssessmentFileError(f"リスクの「{name}」は文字列にしてください。")
        data[name] = value
    for name in ("severity", "likelihood", "residual_severity", "residual_likelihood"):
        value = item.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise AssessmentFileError(f"リスクの「{name}」は整数にしてください。")
        data[name] = "" if value is None else str(value)
    for name in ("harms", "questions", "data_items"):
        values = item.get(name, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise AssessmentFileError(f"リスクの「{name}」は文字列のリストにしてください。")
        data.setlist(name, values)
    data["version"] = "0"
    return data


def _letter_values(item) -> dict:
    """The letter's settings of a file, checked by the same form as 質問書をつくる."""
    if not isinstance(item, dict):
        raise AssessmentFileError("「letter」（質問書の設定）が正しくありません。")
    unknown = sorted(set(item) - set(services.LETTER_FIELDS))
    if unknown:
        raise AssessmentFileError(f"「letter」（質問書の設定）に知らない項目があります: {', '.join(unknown)}")
    form = LetterDetailsForm(data={**{name: item.get(name) or "" for name in services.LETTER_FIELDS}, "version": 0})
    if not form.is_valid():
        problems = [f"{form.fields[name].label} {' '.join(errors)}" for name, errors in form.errors.items()]
        raise AssessmentFileError("質問書の設定が正しくありません: " + "、".join(problems))
    return form.cleaned_data


def _resident_views_values(item) -> dict:
    """The residents' views of a file, checked by the same form as the review page."""
    fields = ("sought", "methods", "summary", "response", "reason_not_sought")
    if not isinstance(item, dict):
        raise AssessmentFileError("「resident_views」（住民・当事者の意見）が正しくありません。")
    unknown = sorted(set(item) - set(fields))
    if unknown:
        raise AssessmentFileError(f"「resident_views」（住民・当事者の意見）に知らない項目があります: {', '.join(unknown)}")
    from django.http import QueryDict

    post = QueryDict(mutable=True)
    for name in fields:
        value = item.get(name, [] if name == "methods" else "")
        if name == "methods":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise AssessmentFileError("「resident_views」の「methods」は文字列のリストにしてください。")
            post.setlist(name, value)
        elif not isinstance(value, str):
            raise AssessmentFileError(f"「resident_views」の「{name}」は文字列にしてください。")
        else:
            post[name] = value
    form = ResidentViewsForm(post)
    if not form.is_valid():
        problems = [f"{form.fields[name].label if name in form.fields else ''} {' '.join(errors)}".strip()
                    for name, errors in form.errors.items()]
        raise AssessmentFileError("住民・当事者の意見が正しくありません: " + "、".join(problems))
    return {name: form.cleaned_data[name] for name in fields}


def dump_assessment(assessment: Assessment) -> str:
    return json.dumps(assessment_to_data(assessment), ensure_ascii=False, indent=2) + "\n"


def _rows(part: str, items, where: str) -> list[dict]:
    """Sources or inventory rows of a file, cleaned by the same forms as the section page."""
    try:
        return clean_rows(part, items)
    except RowErrors as error:
        problems = [
            f"{i + 1}行目: " + "、".join(f"{name} {message}" for name, message in row.items())
            for i, row in enumerate(error.rows) if row
        ]
        raise AssessmentFileError(f"{where}が正しくありません: " + " ".join(problems or error.messages)) from None
    except ValidationError as error:
        raise AssessmentFileError(f"{where}が正しくありません: {' '.join(error.messages)}") from None


def _text(value, where: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    try:
        return clean_text(value, max_length=max_length)
    except ValidationError as error:
        raise AssessmentFileError(f"{where}が正しくありません: {' '.join(error.messages)}") from None


@transaction.atomic
def assessment_from_data(data: dict, *, user, organisation=None) -> Assessment:
    """A new draft assessment from ``data``; any problem refuses the whole file (nothing written)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AssessmentFileError(f"形式が {FORMAT!r} ではありません。")
    if data.get("format_version") != FORMAT_VERSION:
        raise AssessmentFileError(f"形式の版（format_version）が {FORMAT_VERSION} ではありません。")
    project = Project.objects.filter(key=data.get("project")).first()
    if project is None:
        raise AssessmentFileError(f"事業 {data.get('project')!r} はこのカタログにありません。")
    qs = data.get("question_set") or {}
    question_set = QuestionSet.objects.filter(key=qs.get("key"), version=qs.get("version")).first()
    if question_set is None:
        raise AssessmentFileError(f"質問セット {qs.get('key')} v{qs.get('version')} はありません。")
    if not question_set.is_frozen:  # a draft's scores and texts may still change under the answers
        raise AssessmentFileError(f"質問セット {qs.get('key')} v{qs.get('version')} は下書きです。"
                                  "点数や文言がまだ変わりうるため、下書きの版の評価は読み込めません。")
    title = _text(data.get("title"), "題名", max_length=200).strip()
    if not title or data.get("standpoint") not in Assessment.Standpoint.values:
        raise AssessmentFileError("題名または評価者の立場（standpoint）が正しくありません。")
    if not isinstance(data.get("answers", {}), dict) or not isinstance(data.get("inventory", []), list):
        raise AssessmentFileError("「answers」は質問ごとの回答、「inventory」は行の一覧にしてください。")
    letter = _letter_values(data["letter"]) if "letter" in data else None
    assessment = answer_saving.assessment_create(
        user=user, project=project, question_set=question_set, title=title,
        standpoint=data["standpoint"], organisation=organisation,
    )
    if letter is not None:
        services.letter_details_save(assessment=assessment, values=letter, base_version=0)
    questions = {q.key: q for q in question_set.questions.prefetch_related("choices")}
    changes = {}
    for key, item in data.get("answers", {}).items():
        question = questions.get(key)
        if question is None:
            raise AssessmentFileError(f"質問 {key!r} は質問セット {question_set} にありません。")
        if not isinstance(item, dict):
            raise AssessmentFileError(f"質問 {key!r} の回答が正しくありません。")
        change = answer_saving.AnswerChange(
            note=_text(item.get("note", ""), f"質問 {key!r} の補足"),
            evidence=_rows("evidence", item.get("evidence", []), f"質問 {key!r} の資料"),
        )
        value = item.get("value")
        mark = mark_of(value)
        try:
            change.value = clean_answer(question, None if mark else value, mark=mark or "")
        except ValidationError as error:
            raise AssessmentFileError(f"質問 {key!r} の回答が正しくありません: {' '.join(error.messages)}") from None
        changes[question] = change
    inventory = next((q for q in questions.values() if q.type == Question.Type.INVENTORY), None)
    if inventory is not None:
        changes.setdefault(inventory, answer_saving.AnswerChange()).rows = _rows(
            "rows", data.get("inventory", []), "データ項目一覧"
        )
    # A new assessment: every part is based on what assessment_create stored (the prefilled inventory).
    made = {a.question_id: a for a in assessment.answers.all()}
    for question, change in changes.items():
        change.base = {part: answer_saving.part_version(made.get(question.pk), part) for part in answer_saving.PARTS}
    outcome = answer_saving.answers_save(assessment=assessment, user=user, changes=changes)
    if outcome.too_large:
        raise AssessmentFileError(outcome.too_large)
    risks = _risks_from_data(assessment, data, user)  # before the actions, which may name them
    if "resident_views" in data:
        reviewing.resident_views_save(assessment=assessment, user=user, base=reviewing.stored_base(None),
                                      **_resident_views_values(data["resident_views"]))
    if "actions" in data:
        try:
            action_plan.actions_from_data(assessment=assessment, user=user, items=data["actions"], questions=questions,
                                          today=timezone.localdate(), risks=risks)
        except ValidationError as error:
            raise AssessmentFileError(" ".join(error.messages)) from None
    assessment.refresh_from_db()
    return assessment
