"""The demonstration assessment (dxpia/fixtures/demo/misato-demo.json): a fully answered, realistic
assessment of 美里町 こどもデータ連携実証事業, used by the README's demo, the benchmarks and tests.
It is an ordinary assessment file (assessments/exchange.py)."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model

from assessments.exchange import assessment_from_data
from assessments.models import Assessment, QuestionSet
from assessments.seed import FIXTURES, SeedReport, seed_questionsets

DEMO_FILE = FIXTURES / "demo" / "misato-demo.json"


def create_demo_assessment(*, user=None, path: Path = DEMO_FILE) -> Assessment:
    """Import the demonstration, marked as such (every page of its report and letter says so).
    The question set it was made with is loaded from the fixtures first if it is not there yet."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    wanted = data.get("question_set") or {}
    if not QuestionSet.objects.filter(key=wanted.get("key"), version=wanted.get("version")).exists():
        seed_questionsets(SeedReport())
    if user is None:
        user, created = get_user_model().objects.get_or_create(username="demo", defaults={"first_name": "デモ"})
        if created:
            user.set_unusable_password()
            user.save()
    assessment = assessment_from_data(data, user=user)
    Assessment.objects.filter(pk=assessment.pk).update(is_demo=True)
    assessment.is_demo = True
    return assessment
