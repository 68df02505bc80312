"""Turning raw input into a stored answer value: one function for the wizard's forms, the autosave
endpoint and importers alike (pretix's ``clean_answer``)."""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assessments.models import Question

MAX_TEXT_LENGTH = 20_000
MAX_SHORT_TEXT_LENGTH = 1_000

# C0 and C1 control characters except tab and newline (carriage returns are normalised away).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


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


def clean_number(raw) -> str | None:
    text = unicodedata.normalize("NFKC", clean_text(raw, max_length=100)).replace(",", "").strip()
    if text == "":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("数値で入力してください（例: 12000）。"), code="number") from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
        raise ValidationError(_("数値が大きすぎます。"), code="number")
    return format(number.normalize(), "f") if number == number.to_integral() else format(number, "f")


def clean_date(raw) -> str | None:
    text = unicodedata.normalize("NFKC", clean_text(raw, max_length=100)).strip()
    if text == "":
        return None
    try:
        return datetime.date.fromisoformat(text.replace("/", "-")).isoformat()
    except ValueError:
        raise ValidationError(_("日付は 2024-05-01 の形で入力してください。"), code="date") from None


def clean_answer(question: Question, raw, *, choice_keys: list[str] | None = None):
    """The value to store for ``raw`` input to ``question``; raises ValidationError on bad input.

    ``choice_keys`` are the question's choice keys (pass them when the choices are prefetched).
    Empty input gives None (or [] for multiple choice): the question is unanswered.
    """
    if choice_keys is None and question.is_choice:
        choice_keys = [choice.key for choice in question.choices.all()]
    qtype = question.type
    if qtype == Question.Type.SINGLE:
        if raw in (None, ""):
            return None
        if not isinstance(raw, str) or raw not in choice_keys:
            raise ValidationError(_("この質問の選択肢から選んでください。"), code="invalid_choice")
        return raw
    if qtype == Question.Type.MULTIPLE:
        if raw in (None, ""):
            return []
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, (list, tuple)) or any(not isinstance(k, str) or k not in choice_keys for k in raw):
            raise ValidationError(_("この質問の選択肢から選んでください。"), code="invalid_choice")
        return [key for key in choice_keys if key in raw]  # stored in the set's order, once each
    if qtype == Question.Type.TEXT:
        return clean_text(raw, max_length=MAX_SHORT_TEXT_LENGTH) or None
    if qtype == Question.Type.TEXTAREA:
        return clean_text(raw) or None
    if qtype == Question.Type.NUMBER:
        return clean_number(raw)
    if qtype == Question.Type.DATE:
        return clean_date(raw)
    # Evidence and inventory questions are answered by their rows.
    return None
