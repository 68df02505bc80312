"""The report of an assessment filled to its limit (answer_saving.CONTENT_BUDGET), in several shapes.

    .venv/bin/python bench/report_pdf_maximal.py [--shape notes|sources|short-sources|rows|all]

Each shape starts from a new demonstration assessment on a fresh SQLite database and saves content
through answer_saving.answers_save, question by question, until the budget refuses the next save
(so the figures are of what a user can really store). It then prints, per shape, what is stored,
the report's pages and the time of one HTML and PDF render (cold: the first download of a revision).
"""

import argparse
import io
import time

from _setup import fresh_database

SHAPES = ("notes", "sources", "short-sources", "rows")


def source(title: str, note: str) -> dict:
    return {"title": title, "url": "https://example.jp/" + "a" * 60 + ".pdf", "page": "12", "date": None, "note": note}


def row(i: int, width: int) -> dict:
    text = "項" * width
    return {"data_item": f"{i}{text}"[:200], "held_by": text[:200], "purpose": text[:300], "legal_basis": text[:300],
            "sensitive": "yes", "children": "unknown", "necessity": text, "retention": text[:200],
            "shared_with_vendor": "unknown"}


def fill(assessment, shape: str) -> int:
    """Save content of ``shape`` until the budget refuses a save; returns the saves that went through."""
    from assessments import answer_saving
    from assessments.answer_saving import AnswerChange
    from assessments.models import Answer, Question

    questions = list(assessment.question_set.questions.order_by("section__position", "position"))
    inventory = next(q for q in questions if q.type == Question.Type.INVENTORY)
    others = [q for q in questions if q is not inventory]

    def save(question, **parts) -> bool:
        stored = Answer.objects.filter(assessment=assessment, question=question).first()
        change = AnswerChange(**parts, base={p: answer_saving.part_version(stored, p) for p in answer_saving.PARTS})
        outcome = answer_saving.answers_save(assessment=assessment, user=assessment.owner, changes={question: change})
        return not outcome.too_large

    saves = 0
    if shape == "rows":
        # Rows as wide as the model allows, 500 at most (the formset's limit), added 25 at a time.
        rows = []
        while len(rows) < 500 and save(inventory, rows=rows + [row(len(rows) + j, 300) for j in range(25)]):
            rows += [row(len(rows) + j, 300) for j in range(25)]
            saves += 1
        return saves
    for question in others * 50:
        if shape == "notes":
            ok = save(question, note="記" * 20_000)
        else:
            current = Answer.objects.filter(assessment=assessment, question=question).first()
            have = answer_saving.evidence_dicts(current) if current else []
            if len(have) >= 50:
                continue
            new = source("資" * 300, "メ" * 1_000) if shape == "sources" else {"title": "資料", "url": "", "page": "", "date": None, "note": ""}
            ok = save(question, evidence=have + [new] * min(10, 50 - len(have)))
        if not ok:
            break
        saves += 1
    return saves


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=(*SHAPES, "all"), default="all")
    args = parser.parse_args()

    fresh_database()
    from pypdf import PdfReader

    from assessments.answer_saving import CONTENT_BUDGET
    from assessments.demo import create_demo_assessment
    from assessments.models import Evidence, InventoryRow
    from assessments.reports import render

    render.html_to_pdf(render.report_html(create_demo_assessment()))  # warm up: fonts, imports
    print(f"budget: {CONTENT_BUDGET:,} characters per assessment")
    for shape in SHAPES if args.shape == "all" else (args.shape,):
        assessment = create_demo_assessment()
        saves = fill(assessment, shape)
        assessment.refresh_from_db()
        start = time.perf_counter()
        html = render.report_html(assessment)
        middle = time.perf_counter()
        pdf = render.html_to_pdf(html)
        end = time.perf_counter()
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        sources = Evidence.objects.filter(answer__assessment=assessment).count()
        rows = InventoryRow.objects.filter(answer__assessment=assessment).count()
        print(f"{shape}: {saves} saves, stored {assessment.content_size:,} ({sources} sources, {rows} rows); "
              f"report {pages} pages, {len(pdf) / 1024:.0f} KiB; HTML {middle - start:.1f} s, PDF {end - middle:.1f} s")


if __name__ == "__main__":
    main()
