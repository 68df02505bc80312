"""Answer values: turning raw input into a stored value (one function for the wizard's forms, the
autosave endpoint and importers alike, pretix's ``clean_answer``) and a stored value back into text
(one function for the wizard, the summary, the report, the letter and the exports).

Input is understood as people write it: 「１２，０００」「約1.2万」「1,200万円」 for numbers,
「令和6年5月1日」 for dates, and 「不明」「未開示」「該当なし」 for any question without choices.
"""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assessments.formatting import ERAS, era_date, era_span, number_text, wareki
from assessments.models import Question
from assessments.scoring import NOT_APPLICABLE, NOT_DISCLOSED, UNKNOWN, mark_of  # noqa: F401 (one rule, re-exported)

MAX_TEXT_LENGTH = 20_000
MAX_SHORT_TEXT_LENGTH = 1_000
MAX_NUMBER_LENGTH = 100

# A question without choices can be answered with one of these instead of a value; it is stored
# as {"mark": key}. The keys are the meanings of the choices 不明, 未開示 and 該当なし.
MARKS = {UNKNOWN: "不明", NOT_DISCLOSED: "未開示", NOT_APPLICABLE: "該当なし"}

# What no stored text may hold: C0 and C1 control characters except tab and newline (carriage
# returns are normalised away), lone surrogates (a JSON "\\ud800" decodes to one; SQLite stores it
# and every page, export and report that reads it back fails) and the non-characters U+FDD0–U+FDEF
# and U+xFFFE/U+xFFFF (they make an XLSX file unreadable).
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)


def without_forbidden_characters(text: str) -> str:
    """``text`` without the characters no stored text may hold (``_CONTROL``); newlines as they are."""
    return _CONTROL.sub("", text)


def clean_text(raw, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Text as typed, minus NUL and other control characters, with newlines normalised.
    Too long is an error (the text is kept in the form), never silently cut."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationError(_("文字列で入力してください。"), code="type")
    text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    if len(text) > max_length:
        raise ValidationError(
            _("%(max)s文字以内で入力してください（現在%(length)s文字）。"),
            code="max_length",
            params={"max": f"{max_length:,}", "length": f"{len(text):,}"},
        )
    return text


def _is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def _typed_mark(raw) -> str | None:
    """The mark whose label 不明, 未開示 or 該当なし was typed (full-width or not, spaces around)."""
    if not isinstance(raw, str) or len(raw) > MAX_NUMBER_LENGTH:
        return None
    text = unicodedata.normalize("NFKC", _CONTROL.sub("", raw)).strip()
    return next((key for key, label in MARKS.items() if text == label), None)


# --- Numbers ---------------------------------------------------------------------------------------

# One part of a number: 12000, 12,000 (commas between groups of three) or 1.5. ASCII digits only
# (after NFKC), and never an exponent: text is matched here before any Decimal is made of it.
_PART = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
# 3億5,000万, 1.2万, 5千, 12000: each multiplier at most once, largest first.
_NUMBER = re.compile(rf"(?:(?P<oku>{_PART})億)?(?:(?P<man>{_PART})万)?(?:(?P<sen>{_PART})千)?(?P<one>{_PART})?")
_MULTIPLIERS = (("oku", 8), ("man", 4), ("sen", 3), ("one", 0))  # name, power of ten
# A number followed by a word: the word is a unit (「24人」), checked against the question's.
_WITH_SUFFIX = re.compile(r"(?P<number>[0-9.,億万千]+)(?P<suffix>[^0-9.,億万千]+)")
_ABOUT = ("おおよそ", "およそ", "おおむね", "概ね", "約")
_NEGATIVE = ("-", "−", "‐", "ー", "▲", "△")  # △500 is accountants' -500
_UNIT_ALIASES = {"人": ("名",)}
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 3
# Decimals a part may have before its multiplier (「1.23456789万円」 is 12.3456789 千円, too many);
# this bound keeps every number below 28 significant digits, so the arithmetic here is exact.
_MAX_PART_DECIMALS = MAX_DECIMAL_PLACES + 8


def _number_error() -> ValidationError:
    return ValidationError(_("数値で入力してください（例: 12000、1.2万）。"), code="number")


def _too_large() -> ValidationError:
    return ValidationError(_("数値が大きすぎます。"), code="number_too_large")


def _decimal_places_error() -> ValidationError:
    return ValidationError(
        _("小数点以下は%(places)s桁までで入力してください。"), code="decimal_places",
        params={"places": MAX_DECIMAL_PLACES},
    )


def _parse_number(text: str) -> Decimal:
    """The value of 「3億5,000万」「1.2万」「12,000」 (no unit). Only a part without a larger part
    after it may have decimals (「1.5億」, not 「1.5億3000万」), and a part must be smaller than the
    larger part before it (「1万2000」, not 「1万20000」)."""
    match = _NUMBER.fullmatch(text)
    if match is None or text == "":
        raise _number_error()
    parts = [(match[name], power) for name, power in _MULTIPLIERS if match[name] is not None]
    total = Decimal(0)
    previous_power = None
    for index, (part, power) in enumerate(parts):
        digits = part.replace(",", "")
        integer, _point, decimals = digits.partition(".")
        if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
            raise _too_large()
        if decimals and index < len(parts) - 1:
            raise _number_error()
        if len(decimals.rstrip("0")) > _MAX_PART_DECIMALS:
            raise _decimal_places_error()
        value = Decimal(digits)  # plain digits, at most 15 before the point and 11 after: exact
        if previous_power is not None and value >= Decimal(10) ** (previous_power - power):
            raise _number_error()
        total += value.scaleb(power)
        previous_power = power
    return total


def clean_number(raw, unit: str = "") -> str | None:
    """A plain decimal string ("12000", "1.5") for a number typed as people write it, in ``unit``.

    Accepted: full-width digits, 「12,000」, spaces, a leading 約・およそ・概ね, the multipliers
    万・億 (and 千: 「3万5千」), and the unit as a suffix (「24時間」, 「3,000人」). For amounts in 千円,
    yen amounts too: 「1,200万円」 is 12000, 「500円」 0.5. Refused: another unit, exponents,
    negative numbers, more than 15 digits before or 3 after the decimal point.
    Empty input is None.
    """
    text = unicodedata.normalize("NFKC", clean_text(raw, max_length=MAX_NUMBER_LENGTH))
    text = re.sub(r"\s+", "", text)
    if text == "":
        return None
    for word in _ABOUT:
        if text.startswith(word):
            text = text[len(word):]
            break
    if text.startswith(_NEGATIVE):
        raise ValidationError(_("0以上の数値で入力してください。"), code="negative")
    # The unit, or (for 千円) yen: 「1,200万円」 is 1,200万 yen, that is 12,000 千円.
    power = 0
    written = re.sub(r"\s+", "", unicodedata.normalize("NFKC", unit or ""))  # as the input is read
    units = (written, *_UNIT_ALIASES.get(written, ())) if written else ()
    suffix = next((u for u in units if text.endswith(u) and len(text) > len(u)), None)
    if suffix is not None:
        text = text[: -len(suffix)]
    elif written == "千円" and text.endswith("円") and len(text) > 1:
        text, power = text[:-1], -3
    elif (match := _WITH_SUFFIX.fullmatch(text)) is not None and _NUMBER.fullmatch(match["number"]):
        # The right unit with words after it (「1億円くらい」, 「24時間ほど」): the words are what is wrong.
        accepted = (*units, "円") if written == "千円" else units
        right = next((u for u in accepted if match["suffix"].startswith(u) and len(match["suffix"]) > len(u)), None)
        if right is not None:
            raise ValidationError(
                _("数値と単位だけを入力してください（「%(extra)s」は入れられません）。"),
                code="words_after_unit",
                params={"extra": match["suffix"][len(right):]},
            )
        if unit:
            raise ValidationError(
                _("単位は「%(unit)s」です。「%(unit)s」で入力するか、数値だけを入力してください。"),
                code="unit",
                params={"unit": unit},
            )
        raise _number_error()
    number = _parse_number(text).scaleb(power).normalize()
    _sign, digits, exponent = number.as_tuple()
    if len(digits) + exponent > MAX_INTEGER_DIGITS:
        raise _too_large()
    if -exponent > MAX_DECIMAL_PLACES:
        raise _decimal_places_error()
    return format(number, "f")


def _stored_number(value) -> Decimal | None:
    """The Decimal of a stored number ("12000", "1.5"; an int from a hand-written import file), or
    None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**MAX_INTEGER_DIGITS:
        return Decimal(value)
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,15}(?:\.[0-9]{1,3})?", value):
        return None
    return Decimal(value)


# --- Dates -----------------------------------------------------------------------------------------

_ISO_LIKE = re.compile(r"(?P<year>[0-9]{4})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})")
_KANJI = re.compile(r"(?P<year>[0-9]{4})年(?P<month>[0-9]{1,2})月(?P<day>[0-9]{1,2})日")
_ERA_NAMES = "|".join(name for _start, name, _first in ERAS)
_WAREKI = re.compile(rf"(?P<era>{_ERA_NAMES})(?P<year>元|[0-9]{{1,2}})年(?P<month>[0-9]{{1,2}})月(?P<day>[0-9]{{1,2}})日")
FIRST_YEAR, LAST_YEAR = 1873, 2100  # the Gregorian calendar in Japan; far enough ahead


def _date_error() -> ValidationError:
    return ValidationError(_("日付は 2024-05-01 または 令和6年5月1日 の形で入力してください。"), code="date")


def clean_date(raw) -> str | None:
    """An ISO date "2024-05-01" for 2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日 or 令和6年5月1日
    (元年 too), full-width or not. A 和暦 date must lie in its era (令和1年4月1日 does not), and the
    year in 1873–2100. Empty input is None."""
    text = unicodedata.normalize("NFKC", clean_text(raw, max_length=MAX_NUMBER_LENGTH))
    text = re.sub(r"\s+", "", text)
    if text == "":
        return None
    if (match := _WAREKI.fullmatch(text)) is not None:
        era, year = match["era"], 1 if match["year"] == "元" else int(match["year"])
        day = era_date(era, year, int(match["month"]), int(match["day"]))
        if day is None:
            first_year = next(first for _start, name, first in ERAS if name == era)
            try:
                datetime.date(first_year + max(year, 1) - 1, int(match["month"]), int(match["day"]))
            except ValueError:  # no such day in any year of the era (令和9年2月30日): not the era's fault
                raise ValidationError(_("%(date)s という日付はありません。"), code="no_such_date",
                                      params={"date": text}) from None
            start, end = era_span(era)
            raise ValidationError(
                _("%(date)s という日付はありません（%(era)sは%(span)s）。"),
                code="era",
                params={
                    "date": text,
                    "era": era,
                    "span": _("%(start)sから%(end)sまで") % {"start": start.isoformat(), "end": end.isoformat()}
                    if end else _("%(start)sから") % {"start": start.isoformat()},
                },
            )
    else:
        match = _ISO_LIKE.fullmatch(text) or _KANJI.fullmatch(text)
        if match is None:
            raise _date_error()
        try:
            day = datetime.date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError:  # written right, but no such day (2026-02-30, 2026年13月1日)
            raise ValidationError(_("%(date)s という日付はありません。"), code="no_such_date", params={"date": text}) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(
            _("%(first)s年から%(last)s年までの日付を入力してください。"),
            code="date_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    return day.isoformat()


# --- Answers ---------------------------------------------------------------------------------------


def clean_answer(question: Question, raw, *, mark: str = "", choice_keys: list[str] | None = None):
    """The value to store for ``raw`` input to ``question``; raises ValidationError on bad input.

    ``mark`` is 「不明」「未開示」「該当なし」 (a key of MARKS) chosen for a question without choices;
    its answer field must then be empty. Typing the label (「不明」) into the field does the same.
    A mark is stored as {"mark": key}; a stored value given back as ``raw`` gives itself again, so
    importers can pass exported values.
    ``choice_keys`` are the question's choice keys (pass them when the choices are prefetched).
    Empty input gives None (or [] for multiple choice): the question is unanswered.
    """
    if mark is None:
        mark = ""
    if question.is_choice:
        if mark != "":
            raise ValidationError(_("この質問は選択肢から選んでください。"), code="mark")
        if choice_keys is None:
            choice_keys = [choice.key for choice in question.choices.all()]
        return _clean_choice(question, raw, choice_keys)
    if not isinstance(mark, str) or (mark and mark not in MARKS):
        raise ValidationError(_("「不明」「未開示」「該当なし」のいずれかを選んでください。"), code="invalid_mark")
    given = mark_of(raw) or _typed_mark(raw)
    if mark:
        if not _is_blank(raw) and given != mark:
            raise ValidationError(
                _("「%(mark)s」などを選んだときは、回答欄を空にしてください（分かっていることは補足欄に書けます）。"),
                code="mark_and_value",
                params={"mark": MARKS[mark]},
            )
        return {"mark": mark}
    if given:
        return {"mark": given}
    qtype = question.type
    if qtype == Question.Type.TEXT:
        return clean_text(raw, max_length=MAX_SHORT_TEXT_LENGTH) or None
    if qtype == Question.Type.TEXTAREA:
        return clean_text(raw) or None
    if qtype == Question.Type.NUMBER:
        return clean_number(raw, unit=question.unit)
    if qtype == Question.Type.DATE:
        return clean_date(raw)
    # Evidence and inventory questions are answered by their rows (or a mark).
    if not _is_blank(raw):
        raise ValidationError(_("この質問には資料またはデータ項目の欄で回答してください。"), code="rows_only")
    return None


def _clean_choice(question: Question, raw, choice_keys: list[str]):
    if question.type == Question.Type.SINGLE:
        if raw in (None, ""):
            return None
        if not isinstance(raw, str) or raw not in choice_keys:
            raise ValidationError(_("この質問の選択肢から選んでください。"), code="invalid_choice")
        return raw
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or any(not isinstance(k, str) or k not in choice_keys for k in raw):
        raise ValidationError(_("この質問の選択肢から選んでください。"), code="invalid_choice")
    return [key for key in choice_keys if key in raw]  # stored in the set's order, once each


def range_warning(question: Question, value) -> str:
    """「値を確認してください（想定: 1〜10,000,000人）」 for a stored number outside the question's
    plausible range; "" otherwise (in range, no range, not a number, a mark). Such a value is kept."""
    if question.type != Question.Type.NUMBER:
        return ""
    number = _stored_number(value)
    if number is None:
        return ""
    try:
        low = None if question.plausible_min is None else Decimal(str(question.plausible_min))
        high = None if question.plausible_max is None else Decimal(str(question.plausible_max))
    except InvalidOperation:
        return ""
    if not ((low is not None and number < low) or (high is not None and number > high)):
        return ""
    unit = question.unit or ""
    if low is not None and high is not None:
        expected = f"{number_text(low)}〜{number_text(high, unit)}"
    elif low is not None:
        expected = _("%(bound)s以上") % {"bound": number_text(low, unit)}
    else:
        expected = _("%(bound)s以下") % {"bound": number_text(high, unit)}
    return _("値を確認してください（想定: %(expected)s）") % {"expected": expected}


# --- Display ---------------------------------------------------------------------------------------


def display_snapshot(question: Question, snapshot=None) -> dict:
    """A snapshot to show values of ``question`` with: the stored ``snapshot`` (labels as they were
    when the answer was given), completed from the question where it lacks a key (old answers) or
    a choice (a value from the answer history may name choices the current answer does not)."""
    snapshot = dict(snapshot) if isinstance(snapshot, dict) else {}
    snapshot.setdefault("question", question.text)
    snapshot.setdefault("type", question.type)
    snapshot.setdefault("unit", question.unit)
    if question.is_choice:
        stored = [c for c in snapshot.get("choices") or () if isinstance(c, dict)]
        known = {c.get("key") for c in stored}
        snapshot["choices"] = stored + [
            {"key": c.key, "label": c.label, "score": c.score, "meaning": c.meaning, "red_flag": c.red_flag}
            for c in question.choices.all()
            if c.key not in known
        ]
    return snapshot


def _chosen(value, snapshot: dict) -> list[dict] | None:
    """The snapshot's choices for a choice value, in the value's order; None when the snapshot has
    no choices. A key the snapshot lacks stands for itself ({"label": key})."""
    choices = [c for c in snapshot.get("choices") or () if isinstance(c, dict)]
    if not choices:
        return None
    if isinstance(value, str):
        keys = [value]
    elif isinstance(value, list) and all(isinstance(k, str) for k in value):
        keys = value
    else:
        return None
    by_key = {c.get("key"): c for c in choices}
    return [by_key.get(key) or {"label": key} for key in keys]


def display_value(value, snapshot) -> str:
    """A stored value as text, the same on every page and in every export.

    A mark is its label (不明); choices are their labels from the snapshot (as they were when the
    answer was given) joined with 「、」; a number has thousands separators and its unit
    (「12,000千円」); a date is 「2024-05-01（令和6年5月1日）」; text is as typed; no answer is "".
    ``snapshot`` is the dict stored with the answer ({"type", "unit", "choices"}, possibly {} or
    lacking keys). Anything else is shown as str(value), never an error.
    """
    if value is None or value == "" or value == []:
        return ""
    mark = mark_of(value)
    if mark is not None:
        return MARKS[mark]
    snapshot = snapshot if isinstance(snapshot, dict) else {}
    chosen = _chosen(value, snapshot)
    if chosen is not None:
        return "、".join(str(c.get("label", "")) for c in chosen)
    qtype, unit = snapshot.get("type"), snapshot.get("unit") or ""
    if qtype == Question.Type.NUMBER or (qtype is None and unit):
        number = _stored_number(value)
        if number is not None:
            return number_text(number, unit if isinstance(unit, str) else "")
    if qtype == Question.Type.DATE and isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            return value
        era = wareki(day)
        return f"{value}（{era}）" if era else value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "、".join(value)  # choice keys without a snapshot
    return str(value)


def answer_meaning(value, snapshot) -> str:
    """What a stored value says: "unknown", "not_disclosed", "not_applicable" (a mark, or a choice
    with that meaning; 未開示 over 不明 over 該当なし when several are chosen), "answer", or "" for
    no answer."""
    if value is None or value == "" or value == []:
        return ""
    mark = mark_of(value)
    if mark is not None:
        return mark
    chosen = _chosen(value, snapshot if isinstance(snapshot, dict) else {})
    meanings = {c.get("meaning") for c in chosen or ()}
    return next((m for m in (NOT_DISCLOSED, UNKNOWN, NOT_APPLICABLE) if m in meanings), "answer")
