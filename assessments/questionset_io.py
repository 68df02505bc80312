"""Question sets as plain data: export, validation and import.

The same validation serves the importer (`import_questionset`), the seed and the admin's publish
action, so a set that can be published can be exported and imported again, and vice versa.
"""

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import risk_levels, risk_rules
from assessments.models import (
    ChangelogEntry,
    Choice,
    Harm,
    Level,
    Question,
    QuestionSet,
    RiskLevel,
    RiskMatrixCell,
    RiskScaleStep,
    Section,
    SuggestionRule,
)

FORMAT = "dxpia-questionset"
FORMAT_VERSION = 1

# \Z, not $: "$" also matches before a final newline, and a key "set\n" made every page that links
# to the set (the home page among them) fail for everyone on a NoReverseMatch.
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_TYPES = set(Question.Type.values)
_MEANINGS = set(Choice.Meaning.values)
_CATEGORIES = set(Question.RiskCategory.values) | {""}
_ROLES = set(Question.ScreeningRole.values)
_STATUSES = set(QuestionSet.Status.values)
_SCREENING_FIELDS = (
    "persons_not_required_below",
    "persons_small_band_from",
    "persons_priority_from",
    "persons_full_from",
    "handlers_threshold",
    "criteria_for_full",
)

# Optional: the review interval in months and the re-assessment interval in years, with their
# largest values (QuestionSet's validators). A file without them gets the defaults, 12 and 5.
_REVIEW_FIELDS = {"review_interval_months": 120, "reassessment_interval_years": 20}


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class QuestionSetDataError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# ---------------------------------------------------------------------------------------------------
# Export


def questionset_to_data(question_set: QuestionSet) -> dict:
    """The whole set as plain data, in display order (the file format of docs/questionset-format.md)."""
    question_set = (
        QuestionSet.objects.filter(pk=question_set.pk)
        .prefetch_related(
            "levels",
            "harms",
            "risk_scale_steps",
            "risk_levels",
            "risk_matrix_cells__level",
            "suggestion_rules__harms",
            Prefetch(
                "sections__questions",
                queryset=Question.objects.select_related("condition_question").prefetch_related(
                    "choices", "condition_choices"
                ),
            ),
        )
        .get()
    )
    sections = []
    for section in question_set.sections.all():
        questions = []
        for question in section.questions.all():
            condition = None
            if question.condition_question_id:
                chosen = sorted(question.condition_choices.all(), key=lambda c: (c.position, c.pk))
                condition = {
                    "question": question.condition_question.key,
                    # A choice of some other question cannot be a condition; keep it visible so that
                    # validation names it instead of silently matching a same-named key.
                    "choices": [
                        c.key if c.question_id == question.condition_question_id else f"(other question) {c.key}"
                        for c in chosen
                    ],
                }
            questions.append(
                {
                    "key": question.key,
                    "text": question.text,
                    "guidance": question.guidance,
                    "basis": question.basis,
                    "type": question.type,
                    "required": question.required,
                    "unit": question.unit,
                    "plausible_min": _plain_number(question.plausible_min),
                    "plausible_max": _plain_number(question.plausible_max),
                    "risk_weight": question.risk_weight,
                    "risk_category": question.risk_category,
                    "screening_role": question.screening_role,
                    "municipality_question": question.municipality_question,
                    "proposal": question.proposal,
                    "documents_to_request": question.document_list(),
                    "condition": condition,
                    "choices": [
                        {
                            "key": choice.key,
                            "label": choice.label,
                            "score": choice.score,
                            "meaning": choice.meaning,
                            "red_flag": choice.red_flag,
                        }
                        for choice in question.choices.all()
                    ],
                }
            )
        sections.append(
            {
                "key": section.key,
                "title": section.title,
                "introduction": section.introduction,
                "questions": questions,
            }
        )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "key": question_set.key,
        "version": question_set.version,
        "title": question_set.title,
        "description": question_set.description,
        "status": question_set.status,
        # Written only for a set not in Japanese, so the Japanese sets export as they always did.
        **({"language": question_set.language} if question_set.language != "ja" else {}),
        "screening": {name: getattr(question_set, name) for name in _SCREENING_FIELDS},
        # Written only when set, so that a set without the rule (v1) exports as it always did.
        **({"min_confirmed_percent": question_set.min_confirmed_percent}
           if question_set.min_confirmed_percent is not None else {}),
        # The review clock (見直し・再評価の間隔), likewise written only when the set names it.
        **{name: getattr(question_set, name) for name in _REVIEW_FIELDS if getattr(question_set, name) is not None},
        "levels": [
            {
                "key": level.key,
                "label": level.label,
                "min_percent": level.min_percent,
                "description": level.description,
            }
            for level in question_set.levels.all()
        ],
        "sections": sections,
        # Written only when there is one, so that a set without a log (v1) exports as it always did.
        **({"changelog": [
            {"version": entry.version, "date": entry.date.isoformat(), "what": entry.what, "why": entry.why}
            for entry in question_set.changelog.all()
        ]} if question_set.changelog.exists() else {}),
        # Written only when the set has a risk part, so that v1 and v2 export as they always did.
        **({"risks": risks} if (risks := _risks_data(question_set)) else {}),
    }


def _risks_data(question_set: QuestionSet) -> dict | None:
    """The risk part of a set (harms, scales, levels, matrix, suggestion rules) as plain data."""
    harms = list(question_set.harms.all())
    steps = list(question_set.risk_scale_steps.all())
    levels = list(question_set.risk_levels.all())
    rules = list(question_set.suggestion_rules.all())
    if not (harms or steps or levels or rules or question_set.risk_note):
        return None
    size = max([s.value for s in steps], default=0)
    cells = {(c.severity, c.likelihood): c.level.key for c in question_set.risk_matrix_cells.all()}
    return {
        "note": question_set.risk_note,
        **{scale: [{"value": s.value, "label": s.label, "description": s.description}
                   for s in steps if s.scale == scale]
           for scale in (RiskScaleStep.Scale.SEVERITY, RiskScaleStep.Scale.LIKELIHOOD)},
        "levels": [{"key": lv.key, "label": lv.label, "description": lv.description} for lv in levels],
        # Rows are severity 1…n, columns likelihood 1…n; a missing cell is null (and refused).
        "matrix": [[cells.get((s, lk)) for lk in range(1, size + 1)] for s in range(1, size + 1)],
        "harms": [{"key": h.key, "label": h.label, "explanation": h.explanation, "source": h.source} for h in harms],
        "rules": [
            {"key": r.key, "title": r.title, "reason": r.reason,
             "harms": [h.key for h in sorted(r.harms.all(), key=lambda h: (h.position, h.pk))],
             "match": r.match, "conditions": r.conditions}
            for r in rules
        ],
    }


def dump_questionset(question_set: QuestionSet) -> str:
    return json.dumps(questionset_to_data(question_set), ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------------
# Validation


class _Checker:
    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def string(self, obj: dict, name: str, where: str, *, max_length: int, required: bool = False) -> str:
        value = obj.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(where, _("「%(name)s」は文字列にしてください。") % {"name": name})
            return ""
        if required and not value.strip():
            self.add(where, _("「%(name)s」がありません。") % {"name": name})
        if len(value) > max_length:
            self.add(where, _("「%(name)s」が長すぎます（%(max)s文字まで）。") % {"name": name, "max": max_length})
        return value

    def slug(self, obj: dict, where: str, *, max_length: int) -> str | None:
        value = obj.get("key")
        if not isinstance(value, str) or not _SLUG.match(value) or len(value) > max_length:
            self.add(
                where,
                _("キー %(key)r は英小文字・数字・ハイフンで%(max)s文字以内にしてください。")
                % {"key": value, "max": max_length},
            )
            return None
        return value

    def integer(self, obj: dict, name: str, where: str, *, low: int, high: int, nullable=False) -> int | None:
        value = obj.get(name)
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(where, _("「%(name)s」は%(low)s〜%(high)sの整数にしてください。") % {"name": name, "low": low, "high": high})
            return None
        return value


def _plain_number(value):
    """A stored decimal range bound as a JSON integer (None stays None)."""
    return None if value is None else int(value)


def validate_questionset_data(data) -> list[Problem]:
    """Every problem in a question-set file, each with its place; an empty list means it is sound."""
    check = _Checker()
    if not isinstance(data, dict):
        return [Problem("file", _("JSON のオブジェクトではありません。"))]
    for where in _unencodable_strings(data):
        check.add(where, _("文字として読めない符号（対になっていないサロゲート）が含まれています。"))
    if data.get("format") != FORMAT:
        check.add("format", _("形式が %(format)r ではありません。") % {"format": FORMAT})
    if data.get("format_version") != FORMAT_VERSION:
        check.add("format_version", _("対応している形式の版は %(v)s です。") % {"v": FORMAT_VERSION})
    check.slug(data, "key", max_length=60)
    check.integer(data, "version", "version", low=1, high=1_000_000)
    check.string(data, "title", "title", max_length=200, required=True)
    check.string(data, "description", "description", max_length=20_000)
    if not _one_of(data.get("status", QuestionSet.Status.DRAFT), _STATUSES):
        check.add("status", _("状態 %(status)r は draft / published / retired のいずれかです。") % {"status": data.get("status")})

    screening = data.get("screening", {})
    if not isinstance(screening, dict):
        check.add("screening", _("オブジェクトにしてください。"))
        screening = {}
    for name in _SCREENING_FIELDS:
        if name in screening:
            check.integer(screening, name, f"screening.{name}", low=0, high=100_000_000)
    unknown_fields = set(screening) - set(_SCREENING_FIELDS)
    if unknown_fields:
        check.add("screening", _("不明な項目: %(names)s") % {"names": ", ".join(sorted(unknown_fields))})

    if data.get("min_confirmed_percent") is not None:
        check.integer(data, "min_confirmed_percent", "min_confirmed_percent", low=1, high=100)
    if "language" in data and not _one_of(data["language"], {code for code, _name in settings.LANGUAGES}):
        check.add("language", _("言語は %(codes)s のどれかです。") % {"codes": ", ".join(code for code, _n in settings.LANGUAGES)})
    for name, high in _REVIEW_FIELDS.items():
        if data.get(name) is not None:
            check.integer(data, name, name, low=1, high=high)
    _validate_levels(check, data.get("levels"))
    _validate_sections(check, data.get("sections"))
    _validate_changelog(check, data.get("changelog", []))
    if "risks" in data:
        _validate_risks(check, data["risks"], _question_map(data.get("sections")))
    return check.problems


def _unencodable_strings(data) -> list[str]:
    """Where ``data`` holds a string with a lone surrogate (JSON "\\ud800" decodes to one): UTF-8
    cannot encode it, and the database refused it with a traceback. Walked without recursion."""
    found, stack = [], [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                found.append(where or "file")
        elif isinstance(value, dict):
            stack.extend((f"{where}.{key}" if where else str(key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}[{index}]", item) for index, item in enumerate(value))
    return sorted(found)


def _question_map(sections) -> dict[str, tuple[str, frozenset[str]]]:
    """Each question key of the file with its type and choice keys (what is well formed of it)."""
    found = {}
    for section in sections if isinstance(sections, list) else []:
        for question in (section.get("questions") if isinstance(section, dict) else None) or []:
            if isinstance(question, dict) and isinstance(question.get("key"), str):
                choices = question.get("choices") if isinstance(question.get("choices"), list) else []
                found[question["key"]] = (question.get("type"), frozenset(
                    c.get("key") for c in choices if isinstance(c, dict) and isinstance(c.get("key"), str)))
    return found


def _validate_risks(check: _Checker, risks, questions) -> None:
    if not isinstance(risks, dict):
        check.add("risks", _("オブジェクトにしてください。"))
        return
    unknown = set(risks) - {"note", "severity", "likelihood", "levels", "matrix", "harms", "rules"}
    if unknown:
        check.add("risks", _("不明な項目: %(names)s") % {"names": ", ".join(sorted(unknown))})
    check.string(risks, "note", "risks", max_length=5000)
    values = {}
    for scale in ("severity", "likelihood"):
        steps = risks.get(scale)
        values[scale] = []
        if not isinstance(steps, list):
            check.add(f"risks.{scale}", _("段階のリストにしてください。"))
            continue
        for index, step in enumerate(steps):
            where = f"risks.{scale}[{index}]"
            if not isinstance(step, dict):
                check.add(where, _("オブジェクトにしてください。"))
                continue
            value = check.integer(step, "value", where, low=1, high=6)
            if value is not None:
                values[scale].append(value)
            check.string(step, "label", where, max_length=40, required=True)
            check.string(step, "description", where, max_length=2000, required=True)
    level_keys = []
    levels = risks.get("levels")
    for index, level in enumerate(levels if isinstance(levels, list) else []):
        where = f"risks.levels[{index}]"
        if not isinstance(level, dict):
            check.add(where, _("オブジェクトにしてください。"))
            continue
        key = check.slug(level, where, max_length=40)
        if key in level_keys:
            check.add(where, _("キー %(key)r が重複しています。") % {"key": key})
        elif key:
            level_keys.append(key)
        check.string(level, "label", where, max_length=40, required=True)
        check.string(level, "description", where, max_length=2000)
    for problem in risk_levels.matrix_problems(values["severity"], values["likelihood"], level_keys, risks.get("matrix")):
        check.add("risks.matrix", problem)
    harm_keys = set()
    harms = risks.get("harms")
    if not isinstance(harms, list) or not harms:
        check.add("risks.harms", _("住民にとっての害を1つ以上定めてください。"))
        harms = []
    for index, harm in enumerate(harms):
        where = f"risks.harms[{index}]"
        if not isinstance(harm, dict):
            check.add(where, _("オブジェクトにしてください。"))
            continue
        key = check.slug(harm, where, max_length=40)
        if key in harm_keys:
            check.add(where, _("キー %(key)r が重複しています。") % {"key": key})
        harm_keys.add(key)
        check.string(harm, "label", where, max_length=100, required=True)
        check.string(harm, "explanation", where, max_length=2000, required=True)
        check.string(harm, "source", where, max_length=2000)
    rules = risks.get("rules", [])
    if not isinstance(rules, list):
        check.add("risks.rules", _("リストにしてください。"))
        rules = []
    rule_keys = set()
    for index, rule in enumerate(rules):
        where = f"risks.rules[{index}]"
        if not isinstance(rule, dict):
            check.add(where, _("オブジェクトにしてください。"))
            continue
        key = check.slug(rule, where, max_length=60)
        if key:
            where = f"{where} ({key})"
            if key in rule_keys:
                check.add(where, _("キー %(key)r が重複しています。") % {"key": key})
            rule_keys.add(key)
        check.string(rule, "title", where, max_length=200, required=True)
        check.string(rule, "reason", where, max_length=2000, required=True)
        named = rule.get("harms")
        if not isinstance(named, list) or not named or any(not _one_of(h, harm_keys) for h in named):
            check.add(where, _("harms には、この質問セットの害のキーを1つ以上挙げてください。"))
        if not _one_of(rule.get("match", "any"), risk_rules.MATCHES):
            check.add(where, _("match は any か all にしてください。"))
        _conditions, problems = risk_rules.parse_conditions(rule.get("conditions"), questions)
        for problem in problems:
            check.add(where, problem)


def _one_of(value, allowed) -> bool:
    """``value in allowed`` for a value read from a file, which may be a list or an object where a
    string belongs (unhashable: ``in`` on a set or dict raised TypeError, a traceback for the admin)."""
    try:
        return value in allowed
    except TypeError:
        return False


def _validate_changelog(check: _Checker, changelog) -> None:
    if not isinstance(changelog, list):
        check.add("changelog", _("変更履歴はリストにしてください。"))
        return
    for index, entry in enumerate(changelog):
        where = f"changelog[{index}]"
        if not isinstance(entry, dict):
            check.add(where, _("オブジェクトにしてください。"))
            continue
        check.integer(entry, "version", where, low=1, high=1_000_000)
        try:
            datetime.date.fromisoformat(entry.get("date"))
        except (TypeError, ValueError):
            check.add(where, _("日付は YYYY-MM-DD の形で書いてください。"))
        check.string(entry, "what", where, max_length=5000, required=True)
        check.string(entry, "why", where, max_length=5000, required=True)


def _validate_levels(check: _Checker, levels) -> None:
    if not isinstance(levels, list) or not levels:
        check.add("levels", _("評価レベルを1つ以上定めてください。"))
        return
    keys, previous = set(), None
    for index, level in enumerate(levels):
        where = f"levels[{index}]"
        if not isinstance(level, dict):
            check.add(where, _("オブジェクトにしてください。"))
            continue
        key = check.slug(level, where, max_length=40)
        if key in keys:
            check.add(where, _("キー %(key)r が重複しています。") % {"key": key})
        keys.add(key)
        check.string(level, "label", where, max_length=60, required=True)
        check.string(level, "description", where, max_length=2000)
        percent = check.integer(level, "min_percent", where, low=0, high=100)
        if percent is not None and previous is not None and percent >= previous:
            check.add(where, _("下限（%）は上から順に小さくしてください。"))
        previous = percent if percent is not None else previous
    if previous != 0:
        check.add("levels", _("最後の評価レベルの下限は 0 にしてください。"))


def _validate_sections(check: _Checker, sections) -> None:
    if not isinstance(sections, list) or not sections:
        check.add("sections", _("節を1つ以上定めてください。"))
        return
    section_keys: set[str] = set()
    # key -> (type, choice keys) of the questions seen so far, for conditions on earlier questions
    earlier: dict[str, tuple[str, set[str]]] = {}
    question_keys: set[str] = set()
    roles: dict[str, str] = {}
    for s_index, section in enumerate(sections):
        s_where = f"sections[{s_index}]"
        if not isinstance(section, dict):
            check.add(s_where, _("オブジェクトにしてください。"))
            continue
        s_key = check.slug(section, s_where, max_length=40)
        if s_key:
            s_where = f"{s_where} ({s_key})"
            if s_key in section_keys:
                check.add(s_where, _("節のキー %(key)r が重複しています。") % {"key": s_key})
            section_keys.add(s_key)
        check.string(section, "title", s_where, max_length=200, required=True)
        check.string(section, "introduction", s_where, max_length=20_000)
        questions = section.get("questions")
        if not isinstance(questions, list) or not questions:
            check.add(s_where, _("質問が1つもありません。"))
            continue
        for q_index, question in enumerate(questions):
            q_where = f"{s_where}.questions[{q_index}]"
            if not isinstance(question, dict):
                check.add(q_where, _("オブジェクトにしてください。"))
                continue
            _validate_question(check, question, q_where, question_keys, earlier, roles)


def _validate_question(check, question, where, question_keys, earlier, roles) -> None:
    key = check.slug(question, where, max_length=60)
    if key:
        where = f"{where} ({key})"
        if key in question_keys:
            check.add(where, _("質問のキー %(key)r が質問セット内で重複しています。") % {"key": key})
        question_keys.add(key)
    check.string(question, "text", where, max_length=5000, required=True)
    check.string(question, "guidance", where, max_length=20_000)
    check.string(question, "basis", where, max_length=300)
    check.string(question, "unit", where, max_length=20)
    check.string(question, "municipality_question", where, max_length=5000)
    check.string(question, "proposal", where, max_length=5000)
    if not isinstance(question.get("required", False), bool):
        check.add(where, _("「required」は true か false にしてください。"))
    check.integer(question, "risk_weight", where, low=0, high=10) if "risk_weight" in question else None
    low = check.integer(question, "plausible_min", where, low=-(10**15) + 1, high=10**15 - 1, nullable=True)
    high = check.integer(question, "plausible_max", where, low=-(10**15) + 1, high=10**15 - 1, nullable=True)
    if (low is not None or high is not None) and question.get("type") != "number":
        check.add(where, _("「plausible_min」「plausible_max」は数値の質問にだけ指定できます。"))
    if low is not None and high is not None and low > high:
        check.add(where, _("「plausible_min」は「plausible_max」以下にしてください。"))
    if not _one_of(question.get("risk_category", ""), _CATEGORIES):
        check.add(where, _("不明なリスク分類 %(c)r です。") % {"c": question.get("risk_category")})
    documents = question.get("documents_to_request", [])
    if not isinstance(documents, list) or not all(isinstance(d, str) and "\n" not in d for d in documents):
        check.add(where, _("「documents_to_request」は1行の文字列のリストにしてください。"))

    qtype = question.get("type")
    if not _one_of(qtype, _TYPES):
        check.add(where, _("不明な質問の種類 %(type)r です（%(types)s のいずれか）。") % {"type": qtype, "types": ", ".join(sorted(_TYPES))})
    choice_keys = _validate_choices(check, question.get("choices", []), where, qtype)

    condition = question.get("condition")
    if condition is not None:
        _validate_condition(check, condition, where, earlier)

    role = question.get("screening_role", "")
    if not _one_of(role, _ROLES):
        check.add(where, _("不明なスクリーニングの役割 %(role)r です。") % {"role": role})
    elif role:
        if role in roles:
            check.add(where, _("スクリーニングの役割 %(role)r は %(other)s でも使われています。") % {"role": role, "other": roles[role]})
        roles[role] = key or where
        expected = {
            Question.ScreeningRole.PERSONS_COVERED: Question.Type.NUMBER,
            Question.ScreeningRole.HANDLERS: Question.Type.NUMBER,
            Question.ScreeningRole.SERIOUS_INCIDENT: Question.Type.SINGLE,
            Question.ScreeningRole.CRITERIA: Question.Type.MULTIPLE,
            Question.ScreeningRole.PERSONAL_DATA: Question.Type.SINGLE,
        }[role]
        if qtype != expected:
            check.add(where, _("役割 %(role)r の質問の種類は %(type)s にしてください。") % {"role": role, "type": expected})
        if role == Question.ScreeningRole.SERIOUS_INCIDENT and "yes" not in choice_keys:
            check.add(where, _("重大事故の質問には、キー yes の選択肢（あった）が必要です。"))
        if role == Question.ScreeningRole.PERSONAL_DATA and "no" not in choice_keys:
            check.add(where, _("個人情報の取扱いの質問には、キー no の選択肢（取り扱わない）が必要です。"))
    if key:
        earlier[key] = (qtype, choice_keys)


def _validate_choices(check, choices, where, qtype) -> set[str]:
    if not isinstance(choices, list):
        check.add(where, _("「choices」はリストにしてください。"))
        return set()
    if qtype in Question.CHOICE_TYPES and len(choices) < 2:
        check.add(where, _("選択式の質問には選択肢が2つ以上必要です。"))
    if qtype not in Question.CHOICE_TYPES and _one_of(qtype, _TYPES) and choices:
        check.add(where, _("種類 %(type)r の質問に選択肢は置けません。") % {"type": qtype})
    keys: set[str] = set()
    for c_index, choice in enumerate(choices):
        c_where = f"{where}.choices[{c_index}]"
        if not isinstance(choice, dict):
            check.add(c_where, _("オブジェクトにしてください。"))
            continue
        key = check.slug(choice, c_where, max_length=40)
        if key in keys:
            check.add(c_where, _("選択肢のキー %(key)r が重複しています。") % {"key": key})
        if key:
            keys.add(key)
        check.string(choice, "label", c_where, max_length=200, required=True)
        check.string(choice, "red_flag", c_where, max_length=300)
        check.integer(choice, "score", c_where, low=-100, high=100, nullable=True)
        if not _one_of(choice.get("meaning", Choice.Meaning.ANSWER), _MEANINGS):
            check.add(c_where, _("不明な意味 %(m)r です（%(all)s のいずれか）。") % {"m": choice.get("meaning"), "all": ", ".join(sorted(_MEANINGS))})
    return keys


def _validate_condition(check, condition, where, earlier) -> None:
    if not isinstance(condition, dict):
        check.add(where, _("「condition」はオブジェクトか null にしてください。"))
        return
    target = condition.get("question")
    choices = condition.get("choices")
    if not _one_of(target, earlier):
        check.add(where, _("表示条件の質問 %(q)r が、この質問より前にありません。") % {"q": target})
        return
    target_type, target_choices = earlier[target]
    if target_type not in Question.CHOICE_TYPES:
        check.add(where, _("表示条件の質問 %(q)r は選択式ではありません。") % {"q": target})
    if not isinstance(choices, list) or not choices:
        check.add(where, _("表示条件の選択肢を1つ以上挙げてください。"))
        return
    missing = [c for c in choices if not _one_of(c, target_choices)]
    if missing:
        check.add(where, _("表示条件の選択肢 %(c)s は質問 %(q)r にありません。") % {"c": ", ".join(map(repr, missing)), "q": target})


# ---------------------------------------------------------------------------------------------------
# Import


def read_questionset_file(path: Path | str) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetDataError([Problem(str(path), _("読めません: %(e)s") % {"e": exc})]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionSetDataError(
            [Problem(f"{path}:{exc.lineno}:{exc.colno}", _("JSON として読めません: %(m)s") % {"m": exc.msg})]
        ) from None


@transaction.atomic
def questionset_from_data(data: dict) -> QuestionSet:
    """Create the set described by ``data``; refuse (writing nothing) if it has any problem."""
    problems = validate_questionset_data(data)
    if not problems and QuestionSet.objects.filter(key=data["key"], version=data["version"]).exists():
        problems.append(
            Problem("key/version", _("質問セット %(key)s v%(v)s は既にあります。") % {"key": data["key"], "v": data["version"]})
        )
    if problems:
        raise QuestionSetDataError(problems)

    screening = data.get("screening", {})
    question_set = QuestionSet.objects.create(
        key=data["key"],
        version=data["version"],
        title=data["title"],
        description=data.get("description", ""),
        status=QuestionSet.Status.DRAFT,  # parts can only be added to a draft; the status is set last
        **{name: screening[name] for name in _SCREENING_FIELDS if name in screening},
        min_confirmed_percent=data.get("min_confirmed_percent"),
        language=data.get("language") or "ja",
        **{name: data.get(name) for name in _REVIEW_FIELDS},
        risk_note=(data.get("risks") or {}).get("note") or "",
    )
    Level.objects.bulk_create(
        Level(
            question_set=question_set,
            key=level["key"],
            label=level["label"],
            min_percent=level["min_percent"],
            description=level.get("description", ""),
            position=position,
        )
        for position, level in enumerate(data["levels"])
    )
    ChangelogEntry.objects.bulk_create(
        ChangelogEntry(question_set=question_set, position=position, version=entry["version"],
                       date=datetime.date.fromisoformat(entry["date"]), what=entry["what"], why=entry["why"])
        for position, entry in enumerate(data.get("changelog", []))
    )
    questions_by_key: dict[str, Question] = {}
    conditions: list[tuple[Question, dict]] = []
    for s_position, s_data in enumerate(data["sections"]):
        section = Section.objects.create(
            question_set=question_set,
            key=s_data["key"],
            title=s_data["title"],
            introduction=s_data.get("introduction", ""),
            position=s_position,
        )
        for q_position, q_data in enumerate(s_data["questions"]):
            question = Question(
                question_set=question_set,
                section=section,
                key=q_data["key"],
                text=q_data["text"],
                guidance=q_data.get("guidance", ""),
                basis=q_data.get("basis", ""),
                type=q_data["type"],
                required=q_data.get("required", False),
                position=q_position,
                unit=q_data.get("unit", ""),
                plausible_min=q_data.get("plausible_min"),
                plausible_max=q_data.get("plausible_max"),
                risk_weight=q_data.get("risk_weight", 1),
                risk_category=q_data.get("risk_category", ""),
                screening_role=q_data.get("screening_role", ""),
                municipality_question=q_data.get("municipality_question", ""),
                proposal=q_data.get("proposal", ""),
                documents_to_request="\n".join(q_data.get("documents_to_request", [])),
            )
            questions_by_key[question.key] = question
            if q_data.get("condition"):
                conditions.append((question, q_data["condition"]))
    Question.objects.bulk_create(questions_by_key.values())

    choices_by_key: dict[tuple[str, str], Choice] = {}
    for s_data in data["sections"]:
        for q_data in s_data["questions"]:
            question = questions_by_key[q_data["key"]]
            for c_position, c_data in enumerate(q_data.get("choices", [])):
                choices_by_key[(question.key, c_data["key"])] = Choice(
                    question=question,
                    key=c_data["key"],
                    label=c_data["label"],
                    score=c_data.get("score"),
                    position=c_position,
                    meaning=c_data.get("meaning", Choice.Meaning.ANSWER),
                    red_flag=c_data.get("red_flag", ""),
                )
    Choice.objects.bulk_create(choices_by_key.values())

    links = []
    for question, condition in conditions:
        question.condition_question = questions_by_key[condition["question"]]
        for choice_key in condition["choices"]:
            links.append(
                Question.condition_choices.through(
                    question_id=question.pk, choice_id=choices_by_key[(condition["question"], choice_key)].pk
                )
            )
    Question.objects.bulk_update([q for q, _c in conditions], ["condition_question"])
    Question.condition_choices.through.objects.bulk_create(links)

    if data.get("risks"):
        _risks_from_data(question_set, data["risks"])

    status = data.get("status", QuestionSet.Status.DRAFT)
    if status != QuestionSet.Status.DRAFT:
        question_set.status = status
        question_set.published_at = timezone.now()
        question_set.save()
    return question_set


def _risks_from_data(question_set: QuestionSet, risks: dict) -> None:
    """The risk part of a (validated) file, added to the new draft ``question_set``."""
    RiskScaleStep.objects.bulk_create(
        RiskScaleStep(question_set=question_set, scale=scale, value=step["value"], label=step["label"],
                      description=step["description"])
        for scale in (RiskScaleStep.Scale.SEVERITY, RiskScaleStep.Scale.LIKELIHOOD)
        for step in risks[scale]
    )
    levels = {
        level["key"]: RiskLevel(question_set=question_set, key=level["key"], label=level["label"],
                                description=level.get("description", ""), position=position)
        for position, level in enumerate(risks["levels"])
    }
    RiskLevel.objects.bulk_create(levels.values())
    RiskMatrixCell.objects.bulk_create(
        RiskMatrixCell(question_set=question_set, severity=s, likelihood=lk, level=levels[key])
        for s, row in enumerate(risks["matrix"], start=1)
        for lk, key in enumerate(row, start=1)
    )
    harms = {
        harm["key"]: Harm(question_set=question_set, key=harm["key"], label=harm["label"],
                          explanation=harm["explanation"], source=harm.get("source", ""), position=position)
        for position, harm in enumerate(risks["harms"])
    }
    Harm.objects.bulk_create(harms.values())
    rules = [
        SuggestionRule(question_set=question_set, key=rule["key"], position=position, title=rule["title"],
                       reason=rule["reason"], match=rule.get("match", "any"), conditions=rule["conditions"])
        for position, rule in enumerate(risks.get("rules", []))
    ]
    SuggestionRule.objects.bulk_create(rules)
    SuggestionRule.harms.through.objects.bulk_create(
        SuggestionRule.harms.through(suggestionrule_id=rule.pk, harm_id=harms[key].pk)
        for rule, data in zip(rules, risks.get("rules", []))
        for key in data["harms"]
    )
