"""やさしい日本語 (plain Japanese): each answer's class, the plain summary, furigana and phrase breaks.

Pure functions over plain data (no database), like scoring.py: the public page, the one-page PDF,
the text, the report's first page, the tests and bench/plain_readability.py all use these.

The sentences are not generated: each question's finding for each answer class is written by hand
(``PlainFinding``, shipped in dxpia/fixtures/plain/) following the 2020 「在留支援のためのやさしい
日本語ガイドライン」 (short sentences, one idea each, no double negatives). This module only picks
them by the answers, counts, and joins them with fixed sentences of the same style.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from assessments import scoring
from assessments.formatting import inner_quotes

PROTECTED = "protected"
PARTLY = "partly"
NOT = "not"
KNOWN = "known"
UNKNOWN = "unknown"
NOT_DISCLOSED = "not_disclosed"
CLASSES = (PROTECTED, PARTLY, NOT, KNOWN, UNKNOWN, NOT_DISCLOSED)

# The summary's prose stays within this many characters (the issue: "at most about 600").
SUMMARY_LIMIT = 600
# How many findings of each group the short list shows before 「ほかに N こ」.
LIST_LIMIT = 5

# A data item's name (the assessor's text) is cut to this many characters in the short list.
ITEM_LIMIT = 30

# The municipality in a finding is written 「{市}」 and becomes 市, 町 or 村 (the plain texts are
# shared by every municipality; a town is not a 市).
MUNICIPALITY_TOKEN = "{市}"


def is_scored(question: scoring.QuestionSpec) -> bool:
    return question.is_choice and bool(question.max_score) and bool(question.weight)


def classes_for(question: scoring.QuestionSpec) -> tuple[str, ...]:
    """The answer classes a question can fall into, so the ones it needs a plain text for."""
    meanings = {choice.meaning for choice in question.choices}
    if is_scored(question):
        best = question.max_score
        answers = [c for c in question.choices if c.meaning == scoring.ANSWER and c.score is not None]
        found = [PROTECTED]
        if any(0 < c.score < best for c in answers):
            found.append(PARTLY)
        if any(c.score == 0 for c in answers):
            found.append(NOT)
    else:
        found = [KNOWN]
    if not question.is_choice or scoring.UNKNOWN in meanings:
        found.append(UNKNOWN)
    if not question.is_choice or scoring.NOT_DISCLOSED in meanings:
        found.append(NOT_DISCLOSED)
    return tuple(found)


def answer_class(question: scoring.QuestionSpec, value, *, has_rows: bool = False) -> str | None:
    """The class of one answer: what was found (protected, partly, not; known for a question without
    a score), 不明 (unknown) or 未開示 (not_disclosed). None when there is nothing to say: unanswered
    or 該当なし."""
    if not question.is_choice:
        mark = scoring.mark_of(value)
        if mark == scoring.UNKNOWN:
            return UNKNOWN
        if mark == scoring.NOT_DISCLOSED:
            return NOT_DISCLOSED
        if mark is not None:
            return None
        return KNOWN if scoring.is_answered(question, value, has_rows=has_rows) else None
    picked = [c for c in (question.choice(k) for k in scoring.chosen_keys(value)) if c is not None]
    found = [c for c in picked if c.meaning == scoring.ANSWER]
    if found:
        if not is_scored(question):
            return KNOWN
        if any(c.red_flag for c in found):
            # A choice the set flags as a serious concern, beside better ones (a-consent-method:
            # opt-out for some data, a law for the rest): said as the report's 重大な懸念 says it,
            # not as 「守られている」 because the best of the choices scores full.
            return NOT
        scores = [c.score for c in found if c.score is not None]
        if not scores:
            return KNOWN
        best = max(scores)
        if best >= question.max_score:
            return PROTECTED
        return NOT if best <= 0 else PARTLY
    meanings = {c.meaning for c in picked}
    if scoring.NOT_DISCLOSED in meanings:
        return NOT_DISCLOSED
    if scoring.UNKNOWN in meanings:
        return UNKNOWN
    return None


@dataclass(frozen=True)
class Finding:
    question: str  # the question's key
    section: str
    answer_class: str
    text: str  # the plain text, with the municipality's word in place


@dataclass
class PlainSummary:
    """What the public page, the one-page PDF, the text and the report's first page show."""

    sentences: list[str]  # the prose, each sentence whole (at most SUMMARY_LIMIT characters in all)
    protected: list[Finding] = field(default_factory=list)  # 守られていること
    lacking: list[Finding] = field(default_factory=list)  # 足りないこと (partly and not)
    unknown: list[Finding] = field(default_factory=list)  # 分からないこと (不明 and 未開示)
    data_items: list[str] = field(default_factory=list)  # 使う情報の例 (from the data inventory)
    actions: tuple[str, ...] = ()  # what residents can do

    @property
    def text(self) -> str:
        return "".join(self.sentences)

    # The summary is a Japanese text whatever the interface language (it is the plain-Japanese tier,
    # shown with lang="ja"): its headings are part of it, here, not in the interface's catalogue.
    data_heading = "使う情報の例"
    actions_heading = "住民が、できること"

    def groups(self) -> list[tuple[str, list[Finding]]]:
        return [
            ("守られていること", self.protected),
            ("足りないこと", self.lacking),
            ("まだ分からないこと", self.unknown),
        ]

    def shown_groups(self) -> list[tuple[str, list[Finding], str]]:
        """(heading, the first LIST_LIMIT findings, 「ほかに N こ、あります。」 or "") of each group
        that has findings: the summary's short list."""
        return [
            (title, findings[:LIST_LIMIT], f"ほかに、{len(findings) - LIST_LIMIT}こ、あります。" if len(findings) > LIST_LIMIT else "")
            for title, findings in self.groups()
            if findings
        ]


ACTIONS = (
    "分からないことは、{市}に、聞くことができます。",
    "この評価に、意見を書くことができます。",
    "{市}が持っている書類を、見せてもらうように、頼むことができます。これを、情報公開請求といいます。",
)


# Who looked into the project, by the assessment's standpoint (Assessment.Standpoint); "other"
# says nobody in particular: 「…を、調べた結果です。」
WHO_LOOKED = {"resident": "住民が", "council": "議員が", "staff": "{市}の職員が"}

# The first sentence of a demonstration's summary (Assessment.is_demo): the summary repeats its
# answers as plain statements about a real municipality, and some of them are invented.
DEMO_SENTENCE = "これは、使い方を見せるための例です。作った答え（架空の例）が、入っています。"


# The words a summary names the municipality by: 市, 町 or 村, or 自治体 for a project whose
# municipality the catalogue does not name (a vendor's app used by several, for example).
MUNICIPALITY_WORDS = ("市", "町", "村", "自治体")


def municipality_word(kind: str) -> str:
    """市, 町 or 村 for a Municipality.kind (a designated city is a 市); 自治体 without one ("")."""
    return {"town": "町", "village": "村", "": "自治体"}.get(kind, "市")


def _place(text: str, word: str) -> str:
    return text.replace(MUNICIPALITY_TOKEN, word)


def build_summary(
    *,
    municipality: str,
    municipality_kind: str,
    project: str,
    questions: Sequence[scoring.QuestionSpec],
    answers: Mapping[str, object],
    rows: Mapping[str, int],
    texts: Mapping[tuple[str, str], str],
    persons: int | None = None,
    data_items: Sequence[str] = (),
    standpoint: str = "resident",
    demo: bool = False,
) -> PlainSummary:
    """The plain summary of one assessment.

    ``texts`` maps (question key, answer class) to the hand-written sentence; a question whose class
    has no sentence is left out (never replaced by a generated one). ``persons`` is the answer to the
    persons-covered question, ``data_items`` the names in the data inventory, ``standpoint`` the
    assessment's (Assessment.Standpoint): who looked into the project, as the first sentence says;
    ``demo``: a demonstration, which the summary says first (DEMO_SENTENCE)."""
    word = municipality_word(municipality_kind)
    visible = scoring.visible_keys(questions, answers)
    items = [d if len(d) <= ITEM_LIMIT else d[: ITEM_LIMIT - 1] + "…" for d in data_items if d]
    summary = PlainSummary(sentences=[], data_items=items[:LIST_LIMIT])
    for question in questions:
        if question.key not in visible:
            continue
        cls = answer_class(question, answers.get(question.key), has_rows=rows.get(question.key, 0) > 0)
        text = texts.get((question.key, cls)) if cls else None
        if not text:
            continue
        finding = Finding(question.key, question.section, cls, _place(text, word))
        if cls == PROTECTED:
            summary.protected.append(finding)
        elif cls in (PARTLY, NOT):
            summary.lacking.append(finding)
        elif cls in (UNKNOWN, NOT_DISCLOSED):
            summary.unknown.append(finding)
    summary.actions = tuple(_place(a, word) for a in ACTIONS)

    where = f"{municipality}の" if municipality else ""
    head = [DEMO_SENTENCE] if demo else []
    head.append(f"これは、{where}「{inner_quotes(project)}」を、{_place(WHO_LOOKED.get(standpoint, ''), word)}調べた結果です。")
    if persons:
        head.append(f"この事業は、{persons:,}人の情報を使います。")
    else:
        head.append("何人の情報を使うかは、まだ分かりません。")
    counts = []
    if summary.protected:
        counts.append(f"守られていることが、{len(summary.protected)}こ、あります。")
    if summary.lacking:
        counts.append(f"足りないことが、{len(summary.lacking)}こ、あります。")
    if summary.unknown:
        counts.append(f"まだ分からないことが、{len(summary.unknown)}こ、あります。")
    if not counts:
        counts.append("まだ、答えが、ありません。")
    # The first findings that matter most to a resident (what is lacking, then unknown), as far as
    # the limit allows, then what residents can do: all whole sentences.
    sentences = head + counts
    closing = [summary.actions[0]]
    budget = SUMMARY_LIMIT - sum(map(len, sentences)) - sum(map(len, closing))
    # The number of people is said above in any case: its own finding would say it twice.
    persons_keys = {q.key for q in questions if q.screening_role == "persons_covered"}
    for finding in summary.lacking[:2] + [f for f in summary.unknown if f.question not in persons_keys][:2]:
        if len(finding.text) <= budget:
            sentences.append(finding.text)
            budget -= len(finding.text)
    summary.sentences = sentences + closing
    return summary


# --- Furigana and phrase breaks ----------------------------------------------------------------

# 小学校1年生で習う漢字 (学年別漢字配当表, 80字): words made only of these get no reading; any other
# kanji in a word gives the whole word a reading.
GRADE_ONE_KANJI = frozenset(
    "一右雨円王音下火花貝学気九休玉金空月犬見五口校左三山子四糸字耳七車手十出女小上森人水正"
    "生青夕石赤千川先早草足村大男竹中虫町天田土二日入年白八百文木本名目立力林六"
)
_KANJI = re.compile(r"[\u3400-\u9fff々〆ヶ]")

# Readings the reading library gets wrong in dxpia's texts, checked by hand (word: reading).
# Keyed by the piece as pykakasi cuts it (so 「方が」 is 「測り方が」's), checked in every place the
# shipped sentences use it; dxpia/fixtures/plain/readings.tsv pins the result phrase by phrase.
READING_FIXES: dict[str, str] = {
    "何人": "なんにん",
    "情報公開請求": "じょうほうこうかいせいきゅう",
    "個人情報": "こじんじょうほう",
    "方": "かた",  # 守り方の
    "方が": "かたが",  # 測り方が
    "方を": "かたを",  # 防ぎ方を
    "後": "あと",  # その後、
    "後の": "あとの",  # その後の, 移った後の
    "後に": "あとに",  # 終わった後に
    "止める": "とめる",  # 使うのを止める
    "親か": "おやか",  # 親から
    "時な": "ときな",  # 時など
    "違うこ": "ちがうこ",  # 違うこと
    "何で": "なんで",  # 何でしょうか
    "要介": "ようかい",  # 要介護: pykakasi reads 要介 as the given name ようすけ (then 護 ご)
}


@functools.lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


@functools.lru_cache(maxsize=1)
def _phrase_parser():
    import budoux

    return budoux.load_default_japanese_parser()


def needs_reading(word: str) -> bool:
    return any(_KANJI.match(ch) and ch not in GRADE_ONE_KANJI for ch in word)


def _split_okurigana(word: str, reading: str) -> tuple[str, str, str]:
    """(kanji part, its reading, trailing kana): 守られて/まもられて → 守, まも, られて."""
    tail = ""
    while word and reading and not _KANJI.match(word[-1]) and word[-1] == reading[-1]:
        tail = word[-1] + tail
        word, reading = word[:-1], reading[:-1]
    return word, reading, tail


def ruby_html(text: str, *, blocks: bool = False) -> str:
    """``text`` as escaped HTML with <ruby> readings on words that hold a kanji above grade 1.

    ``blocks``: the reading as a small line above the word in an inline block
    (``<span class="rb"><span class="rt">…</span>…</span>``) instead, for WeasyPrint, which does not
    lay out <ruby> (it prints the reading after the word)."""
    items = _kakasi().convert(text)
    if "".join(item["orig"] for item in items) != text:
        # pykakasi drops or repeats characters it does not know (髙, 﨑, 𠮷, emoji): a name must
        # never change for the sake of its reading, so such a text goes without readings.
        return html.escape(text)
    out = []
    for item in items:
        word, reading = item["orig"], item["hira"]
        if not needs_reading(word):
            out.append(html.escape(word))
            continue
        base, reading_part, tail = _split_okurigana(word, READING_FIXES.get(word, reading))
        if base == reading_part or not reading_part:
            out.append(html.escape(word))
            continue
        if blocks:
            out.append(f'<span class="rb"><span class="rt">{html.escape(reading_part)}</span>{html.escape(base)}</span>{html.escape(tail)}')
        else:
            out.append(f"<ruby>{html.escape(base)}<rt>{html.escape(reading_part)}</rt></ruby>{html.escape(tail)}")
    return "".join(out)


def phrases(text: str) -> list[str]:
    """``text`` cut at phrase boundaries (BudouX), so a line breaks only between phrases."""
    parts = _phrase_parser().parse(text)
    return parts if parts and "".join(parts) == text else [text]


def plain_html(text: str, *, furigana: bool = True, blocks: bool = False) -> str:
    """Escaped HTML of a plain text: each phrase kept whole (a line may break only between phrases,
    ``<wbr>``; the container sets ``word-break: keep-all``), with furigana when asked (``blocks``:
    see ruby_html)."""
    parts = [ruby_html(p, blocks=blocks) if furigana else html.escape(p) for p in phrases(text)]
    if blocks:  # WeasyPrint has no word-break: keep-all; a phrase that may not break is nowrap
        return "<wbr>".join(f'<span class="ph">{part}</span>' for part in parts)
    return "<wbr>".join(parts)


def summary_text(summary: PlainSummary, title: str, address: str = "") -> str:
    """The summary as plain text (UTF-8, no readings): the title, the prose, the short list."""
    lines = [title, "", summary.text, ""]
    if summary.data_items:
        lines += [summary.data_heading, *(f"・{item}" for item in summary.data_items), ""]
    for heading, findings, more in summary.shown_groups():
        lines += [heading, *(f"・{f.text}" for f in findings), *([f"・{more}"] if more else []), ""]
    lines += [summary.actions_heading, *(f"・{a}" for a in summary.actions)]
    if address:
        lines += ["", address]
    return "\n".join(lines) + "\n"


def fixed_texts(findings: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Every text the summaries can show that is not the users' or the catalogue's: the question
    set's sentences (with 市, 町 and 村 in place) and this module's own."""
    texts = [_place(t, word) for by_class in findings.values() for t in by_class.values() for word in MUNICIPALITY_WORDS]
    texts += [_place(a, word) for a in ACTIONS for word in MUNICIPALITY_WORDS]
    texts += [title for title, _findings in PlainSummary(sentences=[]).groups()]
    texts += [PlainSummary.data_heading, PlainSummary.actions_heading, "何人の情報を使うかは、まだ分かりません。",
              "まだ、答えが、ありません。", "守られていることが、", "足りないことが、", "まだ分からないことが、",
              "こ、あります。", "ほかに、", "調べた結果です。", "この事業は、", "人の情報を使います。", DEMO_SENTENCE]
    texts += [_place(who, word) for who in WHO_LOOKED.values() for word in MUNICIPALITY_WORDS]
    return texts


def reading_of(phrase: str) -> str:
    """A phrase with its readings in brackets, 守(まも)られている: how readings.tsv pins them."""
    return re.sub(r"<ruby>([^<]*)<rt>([^<]*)</rt></ruby>", r"\1(\2)", ruby_html(phrase))
