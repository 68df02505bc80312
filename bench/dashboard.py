"""Benchmark the pages across Saitama on a large database.

    .venv/bin/python bench/dashboard.py [--projects 10000] [--assessments 5000] [--runs 5]

Fills a fresh SQLite database (in a temporary folder) with the fixtures plus generated projects and
assessments (75 answers and 25 inventory rows each: 500,000 rows for 5,000 assessments), then prints
for the dashboard, the comparison page, the catalogue's first and last page and the full CSV export:
the median time of warm runs and the number of SQL queries. The export's peak Python memory is
measured at a fifth of the assessments and at all of them, to show it stays flat as rows grow.
"""

import argparse
import random
import statistics
import time
import tracemalloc

from _setup import fresh_database


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--assessments", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    fresh_database()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from assessments.models import (
        Answer, Assessment, Category, InventoryRow, Membership, Municipality, Organisation, Project, QuestionSet,
    )

    rng = random.Random(42)
    municipalities = list(Municipality.objects.all())
    categories = list(Category.objects.all())
    question_set = QuestionSet.objects.get(key="dx-pia", version=1)
    questions = list(question_set.questions.prefetch_related("choices"))
    levels = [lv.label for lv in question_set.levels.all()]
    user = get_user_model().objects.create_user("bench", password="bench-password-123")
    group = Organisation.objects.create(name="ベンチマーク")
    Membership.objects.create(organisation=group, user=user, role="owner")

    started = time.perf_counter()
    with transaction.atomic():
        projects = Project.objects.bulk_create(
            Project(key=f"bench-{i}", municipality=rng.choice(municipalities), title=f"生成された事業 {i}",
                    amount_thousand_yen=None if i % 50 == 0 else rng.randint(100, 100_000), source_row=100 + i)
            for i in range(args.projects)
        )
        links = [Project.categories.through(project_id=p.pk, category_id=rng.choice(categories).pk) for p in projects]
        Project.categories.through.objects.bulk_create(links, batch_size=5000)

    def add_assessments(count, offset):
        with transaction.atomic():
            batch = Assessment.objects.bulk_create(
                Assessment(project=rng.choice(projects), question_set=question_set, owner=user, organisation=group,
                           title=f"評価 {offset + i}", standpoint="resident",
                           status="published" if i % 2 else "draft", overall_level=rng.choice(levels),
                           overall_percent=rng.random() * 100, result_summary={"unknown": 3, "not_disclosed": 2})
                for i in range(count)
            )
            answers = []
            for assessment in batch:
                for question in questions:
                    choices = list(question.choices.all())
                    choice = rng.choice(choices) if choices else None
                    answers.append(Answer(
                        assessment=assessment, question=question, value=choice.key if choice else "回答",
                        snapshot={"question": question.text, "choices": [{"key": choice.key, "label": choice.label,
                                  "score": choice.score, "meaning": choice.meaning, "red_flag": ""}] if choice else []},
                        revision=1,
                    ))
            Answer.objects.bulk_create(answers, batch_size=5000)
            inventory = Answer.objects.filter(assessment__in=batch, question__type="inventory")
            InventoryRow.objects.bulk_create(
                (InventoryRow(answer=answer, position=i, data_item=f"データ項目{i}", sensitive="yes")
                 for answer in inventory for i in range(25)),
                batch_size=5000,
            )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    def export_peak():
        tracemalloc.start()
        response = client.get(reverse("export_assessments_csv"))
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return rows, peak

    first = args.assessments // 5
    add_assessments(first, 0)
    small_rows, small_peak = export_peak()
    add_assessments(args.assessments - first, first)
    print(f"data: {Project.objects.count():,} projects, {Assessment.objects.count():,} assessments, "
          f"{Answer.objects.count():,} answers, {InventoryRow.objects.count():,} inventory rows "
          f"(generated in {time.perf_counter() - started:.0f} s)")

    category = Category.objects.get(key="kakanai-madoguchi")
    pages = {
        "dashboard": reverse("dashboard"),
        "comparison (書かない窓口)": reverse("compare") + f"?category={category.pk}",
        "catalogue, first page": reverse("project_list"),
        "catalogue, last page": reverse("project_list") + f"?page={-(-Project.objects.count() // 25)}",
    }
    for name, url in pages.items():
        client.get(url)  # warm
        times, queries = [], 0
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - start)
            assert response.status_code == 200, (name, response.status_code)
            queries = len(captured)
        print(f"{name}: median {statistics.median(times) * 1000:.0f} ms, {queries} queries")

    start = time.perf_counter()
    response = client.get(reverse("export_assessments_csv"))
    rows = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    print(f"CSV export of all visible answers: {rows:,} lines in {time.perf_counter() - start:.1f} s")
    rows, peak = export_peak()
    print(f"peak Python memory while streaming it (tracemalloc): {peak / 2**20:.1f} MiB for {rows:,} lines, "
          f"{small_peak / 2**20:.1f} MiB for {small_rows:,} lines")


if __name__ == "__main__":
    main()
