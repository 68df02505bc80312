"""Answer values: input understood as people write it, and one way to show a stored value.

Most tests use unsaved questions (no database); the last ones check the pages and exports that
show stored values."""

import csv
import io
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse

from assessments import scoring
from assessments.answer_values import (
    MARKS,
    answer_meaning,
    clean_answer,
    clean_date,
    clean_number,
    display_snapshot,
    display_value,
    mark_of,
    range_warning,
)
from assessments.demo import create_demo_assessment
from assessments.models import Answer, AnswerHistory, Question
from assessments.reports import render

CHOICE_TYPES = ["single", "multiple"]
NON_CHOICE_TYPES = ["text", "textarea", "number", "date", "evidence", "inventory"]
ALL_TYPES = CHOICE_TYPES + NON_CHOICE_TYPES
CHOICE_KEYS = ["done", "partial", "unknown"]
# Something each type would accept as its content (evidence and inventory have none).
CONTENT = {"text": "第69条", "textarea": "長い文章", "number": "12000", "date": "2024-05-01",
           "evidence": "資料", "inventory": "項目"}


def question(qtype: str, unit: str = "", low=None, high=None) -> Question:
    return Question(type=qtype, unit=unit, plausible_min=low, plausible_max=high)


def clean(qtype: str, raw, **kwargs):
    return clean_answer(question(qtype, kwargs.pop("unit", "")), raw, choice_keys=CHOICE_KEYS, **kwargs)


def refusal(function, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as error:
        function(*args, **kwargs)
    return " ".join(error.value.messages)


# --- Marks -----------------------------------------------------------------------------------------


def test_the_marks_are_the_meanings_of_the_choices_unknown_not_disclosed_and_not_applicable():
    assert MARKS == {scoring.UNKNOWN: "不明", scoring.NOT_DISCLOSED: "未開示", scoring.NOT_APPLICABLE: "該当なし"}


@pytest.mark.parametrize("mark", list(MARKS))
def test_mark_of_reads_a_stored_mark(mark):
    assert mark_of({"mark": mark}) == mark


@pytest.mark.parametrize("value", [
    None, "", "unknown", "不明", 0, 1, 1.5, True, [], ["unknown"], [{"mark": "unknown"}], {}, {"mark": "maybe"},
    {"mark": "unknown", "note": "x"}, {"Mark": "unknown"}, {"mark": ["unknown"]}, {"mark": None}, {"mark": 1},
])
def test_mark_of_is_none_for_anything_else(value):
    assert mark_of(value) is None


@pytest.mark.parametrize("qtype", NON_CHOICE_TYPES)
@pytest.mark.parametrize("mark", list(MARKS))
@pytest.mark.parametrize("raw", [None, "", "  ", "label"])
def test_a_chosen_mark_is_stored_for_every_question_without_choices(qtype, mark, raw):
    raw = MARKS[mark] if raw == "label" else raw  # the field may also hold the mark's own label
    assert clean(qtype, raw, mark=mark) == {"mark": mark}


@pytest.mark.parametrize("qtype", NON_CHOICE_TYPES)
@pytest.mark.parametrize("typed, mark", [
    ("不明", "unknown"), ("未開示", "not_disclosed"), ("該当なし", "not_applicable"),
    ("　不明　", "unknown"), (" 未開示\n", "not_disclosed"), ("\t該当なし", "not_applicable"),
])
def test_typing_a_mark_into_the_answer_field_gives_the_mark(qtype, typed, mark):
    assert clean(qtype, typed) == {"mark": mark}


@pytest.mark.parametrize("qtype", NON_CHOICE_TYPES)
def test_a_mark_with_content_in_the_answer_field_is_refused(qtype):
    message = refusal(clean, qtype, CONTENT[qtype], mark="unknown")
    assert "「不明」などを選んだときは、回答欄を空にしてください" in message
    assert "未開示" in refusal(clean, qtype, "不明", mark="not_disclosed")  # another mark's label


@pytest.mark.parametrize("qtype", NON_CHOICE_TYPES)
@pytest.mark.parametrize("mark", ["maybe", "Unknown", "不明", "answer", ["unknown"], 1])
def test_a_mark_that_is_not_one_of_the_three_is_refused(qtype, mark):
    assert "いずれかを選んでください" in refusal(clean, qtype, "", mark=mark)


@pytest.mark.parametrize("qtype", CHOICE_TYPES)
@pytest.mark.parametrize("mark", list(MARKS) + ["maybe"])
def test_choice_questions_are_answered_with_their_choices_not_marks(qtype, mark):
    assert refusal(clean, qtype, "", mark=mark) == "この質問は選択肢から選んでください。"
    assert refusal(clean, qtype, "done", mark=mark) == "この質問は選択肢から選んでください。"


@pytest.mark.parametrize("qtype", CHOICE_TYPES)
def test_typing_a_mark_label_does_not_answer_a_choice_question(qtype):
    assert "選択肢から選んでください" in refusal(clean, qtype, "不明")


@pytest.mark.parametrize("qtype", NON_CHOICE_TYPES)
@pytest.mark.parametrize("mark", list(MARKS))
def test_a_stored_mark_given_back_gives_itself(qtype, mark):
    # Importers pass exported values back in.
    assert clean(qtype, {"mark": mark}) == {"mark": mark}
    assert clean(qtype, {"mark": mark}, mark=mark) == {"mark": mark}


@pytest.mark.parametrize("qtype", NON_CHOICE_TYPES)
def test_any_other_dict_is_refused(qtype):
    with pytest.raises(ValidationError):
        clean(qtype, {"mark": "maybe"})


# --- Choices, text, evidence and inventory ---------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [("done", "done"), ("", None), (None, None)])
def test_single_choice(raw, expected):
    assert clean("single", raw) == expected


@pytest.mark.parametrize("raw, expected", [
    (["unknown", "done"], ["done", "unknown"]), (["done", "done"], ["done"]), ("partial", ["partial"]),
    ([], []), ("", []), (None, []),
])
def test_multiple_choice_in_the_sets_order_once_each(raw, expected):
    assert clean("multiple", raw) == expected


@pytest.mark.parametrize("qtype, raw", [
    ("single", "nope"), ("single", ["done"]), ("single", 1), ("multiple", ["done", "nope"]), ("multiple", [1]),
    ("multiple", {"done": True}),
])
def test_choices_outside_the_question_are_refused(qtype, raw):
    assert refusal(clean, qtype, raw) == "この質問の選択肢から選んでください。"


@pytest.mark.parametrize("qtype, limit", [("text", 1_000), ("textarea", 20_000)])
def test_text_is_kept_as_typed_without_control_characters(qtype, limit):
    assert clean(qtype, "第69条\x00第2項\x07\r\n第3号") == "第69条第2項\n第3号"
    assert clean(qtype, "") is None and clean(qtype, None) is None
    assert clean(qtype, "あ" * limit) == "あ" * limit
    assert "以内で入力してください" in refusal(clean, qtype, "あ" * (limit + 1))
    assert refusal(clean, qtype, 12) == "文字列で入力してください。"


@pytest.mark.parametrize("qtype", ["evidence", "inventory"])
def test_evidence_and_inventory_are_answered_by_their_rows(qtype):
    assert clean(qtype, None) is None and clean(qtype, "") is None and clean(qtype, "  ") is None
    assert "資料またはデータ項目の欄" in refusal(clean, qtype, "資料")


# --- Numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, unit, expected", [
    ("12000", "", "12000"),
    ("0", "", "0"),
    ("１２０００", "", "12000"),  # full-width digits
    ("12,000", "", "12000"),
    ("１２，０００", "", "12000"),
    ("1,234,567", "", "1234567"),
    (" 12 000 ", "", "12000"),  # spaces
    ("１．５", "", "1.5"),
    ("約12000", "", "12000"),
    ("およそ 3,000", "", "3000"),
    ("概ね1.2万", "", "12000"),
    ("1.2万", "", "12000"),
    ("１．２万", "", "12000"),
    ("3万", "", "30000"),
    ("1億", "", "100000000"),
    ("2.5億", "", "250000000"),
    ("3万5千", "", "35000"),
    ("1万2000", "", "12000"),
    ("3億5,000万", "", "350000000"),
    ("12000.0", "", "12000"),
    ("1.50", "", "1.5"),
    ("0.125", "", "0.125"),
    ("007", "", "7"),
    ("999999999999999", "", "999999999999999"),  # 15 digits
    ("12,000千円", "千円", "12000"),
    ("12000千円", "千円", "12000"),
    ("１２，０００千円", "千円", "12000"),
    ("1,200万円", "千円", "12000"),
    ("1.5億円", "千円", "150000"),
    ("3億5,000万円", "千円", "350000"),
    ("500円", "千円", "0.5"),
    ("12,000,000円", "千円", "12000"),
    ("約1,200万円", "千円", "12000"),
    ("1.2万", "千円", "12000"),  # no 円: already in 千円
    ("24時間", "時間", "24"),
    ("２４ 時間", "時間", "24"),
    ("1.5時間", "時間", "1.5"),
    ("3,000人", "人", "3000"),
    ("3万人", "人", "30000"),
    ("3,000名", "人", "3000"),
    ("3000", "人", "3000"),
    ("50%", "％", "50"),  # the unit is read as the input is (NFKC)
    ("50％", "%", "50"),
])
def test_numbers_are_understood_as_people_write_them(raw, unit, expected):
    assert clean_number(raw, unit=unit) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "　"])
def test_an_empty_number_is_unanswered(raw):
    assert clean_number(raw) is None


NOT_A_NUMBER = "数値で入力してください（例: 12000、1.2万）。"


@pytest.mark.parametrize("raw, unit, message", [
    ("たくさん", "", NOT_A_NUMBER),
    ("1E-99999999", "", NOT_A_NUMBER),
    ("1e5", "", NOT_A_NUMBER),
    ("1E+5", "", NOT_A_NUMBER),
    ("Infinity", "", NOT_A_NUMBER),
    ("NaN", "", NOT_A_NUMBER),
    ("0x10", "", NOT_A_NUMBER),
    ("1_000", "", NOT_A_NUMBER),
    ("+5", "", NOT_A_NUMBER),
    (".5", "", NOT_A_NUMBER),
    ("1.", "", NOT_A_NUMBER),
    ("1,2", "", NOT_A_NUMBER),  # not a thousands separator
    ("12,00", "", NOT_A_NUMBER),
    ("1.2.3", "", NOT_A_NUMBER),
    ("約", "", NOT_A_NUMBER),
    ("万", "", NOT_A_NUMBER),
    ("一万", "", NOT_A_NUMBER),
    ("1万20000", "", NOT_A_NUMBER),  # a lower part as large as the higher one
    ("1.5億3000万", "", NOT_A_NUMBER),  # decimals only in the last part
    ("1万1億", "", NOT_A_NUMBER),
    ("١٢", "", NOT_A_NUMBER),  # digits of another script
    ("12000円", "", NOT_A_NUMBER),  # a suffix where the question has no unit
    ("千円", "千円", NOT_A_NUMBER),
    ("1234567890123456", "", "数値が大きすぎます。"),  # 16 digits
    ("1,234,567,890,123,456", "", "数値が大きすぎます。"),
    ("99999999億", "", "数値が大きすぎます。"),
    ("10000000000000億円", "千円", "数値が大きすぎます。"),
    ("1.2345", "", "小数点以下は3桁までで入力してください。"),
    ("0.0005", "", "小数点以下は3桁までで入力してください。"),
    ("0.5円", "千円", "小数点以下は3桁までで入力してください。"),
    ("1.0000000000000000000000000000001", "", "小数点以下は3桁までで入力してください。"),  # not rounded away
    ("-5", "", "0以上の数値で入力してください。"),
    ("－５", "", "0以上の数値で入力してください。"),  # full-width
    ("−5", "", "0以上の数値で入力してください。"),
    ("△500", "", "0以上の数値で入力してください。"),
    ("▲500", "千円", "0以上の数値で入力してください。"),
    ("約-5", "", "0以上の数値で入力してください。"),
    ("24人", "時間", "単位は「時間」です。「時間」で入力するか、数値だけを入力してください。"),
    ("24h", "時間", "単位は「時間」です。「時間」で入力するか、数値だけを入力してください。"),
    ("3000円", "人", "単位は「人」です。「人」で入力するか、数値だけを入力してください。"),
    ("1,200万ドル", "千円", "単位は「千円」です。「千円」で入力するか、数値だけを入力してください。"),
    ("約1億円くらい", "千円", "数値と単位だけを入力してください（「くらい」は入れられません）。"),
    ("3億5,000万円程度", "千円", "数値と単位だけを入力してください（「程度」は入れられません）。"),
    ("24時間ほど", "時間", "数値と単位だけを入力してください（「ほど」は入れられません）。"),
])
def test_numbers_that_cannot_be_read_are_refused_with_a_clear_message(raw, unit, message):
    assert refusal(clean_number, raw, unit=unit) == message


def test_input_longer_than_100_characters_is_refused():
    assert clean_number("0" * 99 + "1") == "1"
    assert refusal(clean_number, "0" * 100 + "1") == "100文字以内で入力してください（現在101文字）。"


def test_a_number_in_exponent_notation_is_refused_at_once():
    started = time.perf_counter()
    for raw in ("1E-99999999", "9E+999999999", "1e999999999999999999"):
        assert refusal(clean_number, raw) == NOT_A_NUMBER
    assert time.perf_counter() - started < 0.1


def test_a_number_question_reads_its_unit():
    assert clean("number", "12,000千円", unit="千円") == "12000"
    assert clean("number", "1,200万円", unit="千円") == "12000"
    assert clean("number", "24時間", unit="時間") == "24"
    assert "「時間」" in refusal(clean, "number", "24人", unit="時間")
    assert clean("number", "１２，５００") == "12500"


# --- Dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("2024-05-01", "2024-05-01"),
    ("2024-5-1", "2024-05-01"),
    ("2024/05/01", "2024-05-01"),
    ("2024/5/1", "2024-05-01"),
    ("2024.5.1", "2024-05-01"),
    ("2024年5月1日", "2024-05-01"),
    ("２０２４年５月１日", "2024-05-01"),
    (" 2024年 5月 1日 ", "2024-05-01"),
    ("令和6年5月1日", "2024-05-01"),
    ("令和６年５月１日", "2024-05-01"),
    ("令和元年5月1日", "2019-05-01"),
    ("令和1年5月1日", "2019-05-01"),
    ("平成31年4月30日", "2019-04-30"),
    ("平成元年1月8日", "1989-01-08"),
    ("昭和64年1月7日", "1989-01-07"),
    ("昭和元年12月25日", "1926-12-25"),
    ("大正15年12月24日", "1926-12-24"),
    ("明治6年1月1日", "1873-01-01"),
    ("明治45年7月29日", "1912-07-29"),
    ("㋿6年5月1日", "2024-05-01"),  # the one-character era name, after NFKC
    ("1873-01-01", "1873-01-01"),
    ("2100-12-31", "2100-12-31"),
    ("2024-02-29", "2024-02-29"),
])
def test_dates_are_understood_in_seireki_and_wareki(raw, expected):
    assert clean_date(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_an_empty_date_is_unanswered(raw):
    assert clean_date(raw) is None


DATE_FORM = "日付は 2024-05-01 または 令和6年5月1日 の形で入力してください。"


@pytest.mark.parametrize("raw, message", [
    ("きのう", DATE_FORM),
    ("2024-02-30", "2024-02-30 という日付はありません。"),  # written right: the day is what is wrong
    ("2023-02-29", "2023-02-29 という日付はありません。"),
    ("2024-13-01", "2024-13-01 という日付はありません。"),
    ("2024年2月30日", "2024年2月30日 という日付はありません。"),
    ("2024/5-1", DATE_FORM),  # mixed separators
    ("24-05-01", DATE_FORM),
    ("2024-05-01T10:00", DATE_FORM),
    ("20240501", DATE_FORM),
    # No 30 February in any year: the era's span is not the reason, and is not given as one.
    ("令和6年2月30日", "令和6年2月30日 という日付はありません。"),
    ("令和9年2月30日", "令和9年2月30日 という日付はありません。"),
    ("平成31年2月29日", "平成31年2月29日 という日付はありません。"),
    ("令和1年4月1日", "令和1年4月1日 という日付はありません（令和は2019-05-01から）。"),
    ("令和0年5月1日", "令和0年5月1日 という日付はありません（令和は2019-05-01から）。"),
    ("平成32年1月1日", "平成32年1月1日 という日付はありません（平成は1989-01-08から2019-04-30まで）。"),
    ("平成31年5月1日", "平成31年5月1日 という日付はありません（平成は1989-01-08から2019-04-30まで）。"),
    ("昭和64年1月8日", "昭和64年1月8日 という日付はありません（昭和は1926-12-25から1989-01-07まで）。"),
    ("明治5年12月31日", "明治5年12月31日 という日付はありません（明治は1873-01-01から1912-07-29まで）。"),
    ("1872-12-31", "1873年から2100年までの日付を入力してください。"),
    ("2101-01-01", "1873年から2100年までの日付を入力してください。"),
    ("0001-01-01", "1873年から2100年までの日付を入力してください。"),
])
def test_dates_that_do_not_exist_are_refused(raw, message):
    assert refusal(clean_date, raw) == message


def test_a_date_question_reads_wareki():
    assert clean("date", "令和6年5月1日") == "2024-05-01"
    assert refusal(clean, "date", "2024年5月") == DATE_FORM


# --- Stored values clean to themselves -------------------------------------------------------------


@pytest.mark.parametrize("qtype, unit, value", [
    ("number", "", "12000"), ("number", "千円", "0.5"), ("number", "時間", "1.5"), ("date", "", "2024-05-01"),
    ("text", "", "第69条"), ("textarea", "", "一行目\n二行目"), ("single", "", "done"),
    ("multiple", "", ["done", "unknown"]), ("evidence", "", None),
])
def test_a_stored_value_cleans_to_itself(qtype, unit, value):
    assert clean(qtype, value, unit=unit) == value


# --- Plausible ranges ------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("1", ""), ("5000", ""), ("10000000", ""), ("0.5", "値を確認してください（想定: 1〜10,000,000人）"),
    ("0", "値を確認してください（想定: 1〜10,000,000人）"),
    ("10000001", "値を確認してください（想定: 1〜10,000,000人）"),
])
def test_a_number_outside_the_plausible_range_is_flagged(value, expected):
    assert range_warning(question("number", "人", Decimal("1.000"), Decimal("10000000.000")), value) == expected


def test_a_one_sided_range_says_at_least_or_at_most():
    at_most = question("number", "時間", None, Decimal("720"))
    assert range_warning(at_most, "721") == "値を確認してください（想定: 720時間以下）"
    assert range_warning(at_most, "0") == "" and range_warning(at_most, "720") == ""
    at_least = question("number", "千円", Decimal("1"), None)
    assert range_warning(at_least, "0.5") == "値を確認してください（想定: 1千円以上）"
    assert range_warning(at_least, "999999999999999") == ""


def test_bounds_are_shown_with_separators_decimals_and_the_unit():
    q = question("number", "時間", Decimal("0.500"), Decimal("1234.250"))
    assert range_warning(q, "0.25") == "値を確認してください（想定: 0.5〜1,234.25時間）"
    assert range_warning(question("number", "", 10, 20), "5") == "値を確認してください（想定: 10〜20）"


def test_without_a_range_nothing_is_flagged():
    assert range_warning(question("number", "人"), "999999999999999") == ""


@pytest.mark.parametrize("value", [
    None, "", {"mark": "unknown"}, {"mark": "not_applicable"}, "abc", "1E9", "-5", "1,000", [], ["5"], 5.0, True,
    "9" * 5000,
])
def test_odd_values_are_never_flagged_and_never_raise(value):
    assert range_warning(question("number", "人", Decimal("10"), Decimal("20")), value) == ""


@pytest.mark.parametrize("qtype", [t for t in ALL_TYPES if t != "number"])
def test_only_number_questions_are_flagged(qtype):
    assert range_warning(question(qtype, "", Decimal("10"), Decimal("20")), "5") == ""


# --- Display -------------------------------------------------------------------------------------

CHOICES = [
    {"key": "done", "label": "実施・確認済み", "score": 2, "meaning": "answer", "red_flag": ""},
    {"key": "unknown", "label": "不明", "score": 0, "meaning": "unknown", "red_flag": ""},
    {"key": "hidden", "label": "未開示", "score": 0, "meaning": "not_disclosed", "red_flag": ""},
    {"key": "na", "label": "該当なし", "score": None, "meaning": "not_applicable", "red_flag": ""},
]


def snap(qtype, unit="", choices=()):
    return {"question": "質問", "type": qtype, "unit": unit, "choices": list(choices)}


@pytest.mark.parametrize("value, snapshot, expected", [
    # choices: labels from the snapshot, in the value's order
    ("done", snap("single", choices=CHOICES[:1]), "実施・確認済み"),
    (["done", "unknown"], snap("multiple", choices=CHOICES[:2]), "実施・確認済み、不明"),
    (["unknown", "done"], snap("multiple", choices=CHOICES), "不明、実施・確認済み"),
    ("gone", snap("single", choices=CHOICES), "gone"),  # a key the snapshot lacks stands for itself
    ("done", {}, "done"),
    (["done", "unknown"], {}, "done、unknown"),
    # numbers: separators and unit
    ("12000", snap("number", "千円"), "12,000千円"),
    ("3000", snap("number", "人"), "3,000人"),
    ("1.5", snap("number", "時間"), "1.5時間"),
    ("0.5", snap("number", "千円"), "0.5千円"),
    ("1234567.125", snap("number"), "1,234,567.125"),
    ("0", snap("number", "時間"), "0時間"),
    ("12000", {"type": "number"}, "12,000"),  # an old snapshot without "unit"
    ("12000", {"type": "number", "unit": None}, "12,000"),
    ("12000", {"unit": "千円"}, "12,000千円"),  # without "type"
    ("12000", {}, "12000"),  # nothing says it is a number
    (12000, snap("number", "千円"), "12,000千円"),  # an int from a hand-written file
    ("abc", snap("number", "千円"), "abc"),  # unparseable: unchanged
    ("1E5", snap("number", "千円"), "1E5"),
    ("9" * 40, snap("number"), "9" * 40),
    # dates: 西暦 and 和暦
    ("2024-05-01", snap("date"), "2024-05-01（令和6年5月1日）"),
    ("2019-05-01", snap("date"), "2019-05-01（令和元年5月1日）"),
    ("1989-01-07", {"type": "date"}, "1989-01-07（昭和64年1月7日）"),
    ("1850-01-01", snap("date"), "1850-01-01"),  # before the table: 西暦 only
    ("2024-02-30", snap("date"), "2024-02-30"),
    ("令和6年", snap("date"), "令和6年"),
    ("2024-05-01", {}, "2024-05-01"),
    # text as typed
    ("第69条第2項", snap("text"), "第69条第2項"),
    ("一行目\n二行目", snap("textarea"), "一行目\n二行目"),
    ("12000", snap("text"), "12000"),
    # marks, whatever the type
    ({"mark": "unknown"}, snap("number", "千円"), "不明"),
    ({"mark": "not_disclosed"}, snap("date"), "未開示"),
    ({"mark": "not_applicable"}, snap("evidence"), "該当なし"),
    ({"mark": "unknown"}, {}, "不明"),
    # no answer
    (None, snap("text"), ""), ("", snap("number", "人"), ""), ([], snap("multiple", choices=CHOICES), ""),
    (None, snap("inventory"), ""),
    # odd stored data: str(value), never an error
    ({"mark": "maybe"}, snap("number"), "{'mark': 'maybe'}"),
    (5, snap("text"), "5"),
    ([1, 2], snap("number"), "[1, 2]"),
    ("done", None, "done"),
    ("done", "not a dict", "done"),
    ("done", {"choices": "broken"}, "done"),
    ("done", {"choices": [None, "x"]}, "done"),
])
def test_display_value(value, snapshot, expected):
    assert display_value(value, snapshot) == expected


@pytest.mark.parametrize("qtype", ALL_TYPES)
def test_every_type_shows_marks_and_no_answer_the_same_way(qtype):
    assert display_value({"mark": "unknown"}, snap(qtype, "人")) == "不明"
    assert display_value(None, snap(qtype, "人")) == ""


@pytest.mark.parametrize("value, snapshot, expected", [
    (None, snap("text"), ""), ("", snap("number"), ""), ([], snap("multiple", choices=CHOICES), ""),
    ({"mark": "unknown"}, snap("number"), "unknown"),
    ({"mark": "not_disclosed"}, snap("evidence"), "not_disclosed"),
    ({"mark": "not_applicable"}, {}, "not_applicable"),
    ("12000", snap("number", "千円"), "answer"),
    ("第69条", snap("text"), "answer"),
    ("done", snap("single", choices=CHOICES), "answer"),
    ("unknown", snap("single", choices=CHOICES), "unknown"),
    ("hidden", snap("single", choices=CHOICES), "not_disclosed"),
    ("na", snap("single", choices=CHOICES), "not_applicable"),
    (["done", "na"], snap("multiple", choices=CHOICES), "not_applicable"),
    (["na", "unknown"], snap("multiple", choices=CHOICES), "unknown"),  # 不明 over 該当なし
    (["unknown", "hidden", "na"], snap("multiple", choices=CHOICES), "not_disclosed"),  # 未開示 over 不明
    ("gone", snap("single", choices=CHOICES), "answer"),
    ("unknown", {}, "answer"),  # a choice key without a snapshot is not a mark
    ({"mark": "maybe"}, {}, "answer"),
])
def test_answer_meaning(value, snapshot, expected):
    assert answer_meaning(value, snapshot) == expected


# --- Where stored values are shown (database) ----------------------------------------------------


@pytest.fixture
def demo(catalogue, published_set, bob):
    return create_demo_assessment(user=bob)


def set_value(assessment, key, value, **snapshot):
    answer = Answer.objects.get(assessment=assessment, question__key=key)
    Answer.objects.filter(pk=answer.pk).update(value=value, snapshot={**answer.snapshot, **snapshot})


def test_display_snapshot_completes_old_snapshots_and_the_choices_from_the_question(published_set):
    number = published_set.questions.get(key="g-total-cost")
    assert display_snapshot(number, {})["unit"] == "千円" and display_snapshot(number, None)["type"] == "number"
    assert display_snapshot(number, {"unit": "円"})["unit"] == "円"  # the snapshot wins
    choice = published_set.questions.get(key="a-public-comment")
    labels = {c.key: c.label for c in choice.choices.all()}
    completed = display_snapshot(choice, {"choices": [{"key": "done", "label": "当時の表示名", "meaning": "answer"}]})
    assert [c["key"] for c in completed["choices"]] == ["done"] + [k for k in labels if k != "done"]
    assert display_value("done", completed) == "当時の表示名"
    assert display_value("unknown", completed) == labels["unknown"]


def test_the_answer_text_filter_uses_display_value():
    template = Template("{% load wizard %}{{ answer|answer_text }}|{{ value|value_text:snapshot }}")
    answer = Answer(value="12000", snapshot={"type": "number", "unit": "千円", "choices": []})
    assert template.render(Context({"answer": answer, "value": {"mark": "unknown"}, "snapshot": {}})) == "12,000千円|不明"
    assert template.render(Context({"answer": None, "value": None, "snapshot": {}})) == "|"


def test_the_report_shows_numbers_dates_and_marks_as_every_page_does(demo):
    set_value(demo, "e-contractor-deadline-hours", {"mark": "unknown"})
    set_value(demo, "d-contract-document", {"mark": "not_disclosed"})
    set_value(demo, "b-inventory", {"mark": "not_applicable"})
    items = {item.question.key: item for chapter in render.report_context(demo)["chapters"] for item in chapter.items}
    assert (items["g-total-cost"].answer, items["g-total-cost"].meaning) == ("27,500千円", "answer")
    assert (items["e-contractor-deadline-hours"].answer, items["e-contractor-deadline-hours"].meaning) == ("不明", "unknown")
    # An evidence or inventory question answered with a mark means the mark, rows or not.
    assert (items["d-contract-document"].answer, items["d-contract-document"].meaning) == ("未開示", "not_disclosed")
    assert (items["b-inventory"].answer, items["b-inventory"].meaning) == ("該当なし", "not_applicable")
    assert items["a-public-comment-date"].answer == "2023-07-03（令和5年7月3日）"
    chosen = Answer.objects.get(assessment=demo, question__key="a-public-comment")
    item = items["a-public-comment"]
    assert item.answer == display_value(chosen.value, chosen.snapshot) != ""
    assert item.meaning == answer_meaning(chosen.value, chosen.snapshot)
    html = render.report_html(demo)
    assert "27,500千円" in html and "27500" not in html


def test_the_csv_export_shows_answers_as_every_page_does_with_the_meaning_of_marks(client, demo, bob):
    set_value(demo, "e-contractor-deadline-hours", {"mark": "unknown"})
    client.force_login(bob)
    body = b"".join(client.get(reverse("export_assessments_csv")).streaming_content).decode("utf-8")
    table = list(csv.reader(io.StringIO(body[1:])))
    key = table[0].index("question_key")
    rows = {row[key]: row for row in table}
    header = rows["question_key"]
    answer, meanings = header.index("answer"), header.index("meanings")
    assert rows["g-total-cost"][answer] == "27,500千円" and rows["g-total-cost"][meanings] == ""
    assert rows["e-contractor-deadline-hours"][answer] == "不明"
    assert rows["e-contractor-deadline-hours"][meanings] == "unknown"
    chosen = Answer.objects.get(assessment=demo, question__key="a-public-comment")
    assert rows["a-public-comment"][answer] == display_value(chosen.value, chosen.snapshot)
    assert rows["a-public-comment"][meanings] == "|".join(c["meaning"] for c in chosen.snapshot["choices"])


def test_the_history_shows_values_as_every_page_does(client, demo, bob):
    number = demo.question_set.questions.get(key="g-total-cost")
    AnswerHistory.objects.create(assessment=demo, question=number, user=bob, revision=90,
                                 old={"value": "12000", "note": "", "evidence": [], "rows": []},
                                 new={"value": {"mark": "not_disclosed"}, "note": "", "evidence": [], "rows": []})
    choice = demo.question_set.questions.get(key="a-public-comment")
    labels = {c.key: c.label for c in choice.choices.all()}
    old_key = next(key for key in labels if key != Answer.objects.get(assessment=demo, question=choice).value)
    AnswerHistory.objects.create(assessment=demo, question=choice, user=bob, revision=91,
                                 old={"value": old_key, "note": "", "evidence": [], "rows": []}, new=None)
    client.force_login(bob)
    page = client.get(reverse("answer_history", args=[demo.pk, "g-total-cost"])).content.decode()
    assert "12,000千円" in page and "未開示" in page and "{&#x27;mark&#x27;" not in page
    page = client.get(reverse("answer_history", args=[demo.pk, "a-public-comment"])).content.decode()
    assert labels[old_key] in page  # a choice the current answer's snapshot does not hold
