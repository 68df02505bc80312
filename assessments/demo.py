"""The demonstration assessment (fixtures/demo/misato-demo.json): a fully answered, realistic
assessment of 美里町 こどもデータ連携実証事業, used by the README's demo, the benchmarks and tests.
It is written through the same cleaning and saving code as the wizard."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from assessments import answering
from assessments.answers import clean_answer
from assessments.models import Assessment, Project, Question, QuestionSet
from assessments.seed import FIXTURES

DEMO_FILE = FIXTURES / "demo" / "misato-demo.json"


def _evidence(items: list[dict]) -> list[dict]:
    import datetime

    return [
        {
            "title": item["title"],
            "url": item.get("url", ""),
            "page": item.get("page", ""),
            "date": datetime.date.fromisoformat(item["date"]) if item.get("date") else None,
            "note": item.get("note", ""),
        }
        for item in items
    ]


@transaction.atomic
def create_demo_assessment(*, user=None, path: Path = DEMO_FILE) -> Assessment:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if user is None:
        user, created = get_user_model().objects.get_or_create(username="demo", defaults={"first_name": "デモ"})
        if created:
            user.set_unusable_password()
            user.save()
    project = Project.objects.get(key=data["project"])
    question_set = QuestionSet.objects.get(key=data["question_set"]["key"], version=data["question_set"]["version"])
    assessment = answering.assessment_create(
        user=user, project=project, question_set=question_set, title=data["title"], standpoint=data["standpoint"]
    )
    questions = {q.key: q for q in question_set.questions.prefetch_related("choices")}
    changes = {}
    for key, item in data["answers"].items():
        question = questions[key]
        change = answering.AnswerChange(note=item.get("note", ""), evidence=_evidence(item.get("evidence", [])))
        if question.type != Question.Type.INVENTORY:
            change.value = clean_answer(question, item.get("value"))
        changes[question] = change
    inventory = next(q for q in questions.values() if q.type == Question.Type.INVENTORY)
    changes.setdefault(inventory, answering.AnswerChange()).rows = [
        {name: row.get(name, "") for name in answering.ROW_FIELDS} for row in data["inventory"]
    ]
    answering.answers_save(assessment=assessment, user=user, base_revision=assessment.revision, changes=changes)
    assessment.refresh_from_db()
    return assessment
