"""The demonstration assessment (fixtures/demo/misato-demo.json): a fully answered, realistic
assessment of 美里町 こどもデータ連携実証事業, used by the README's demo, the benchmarks and tests.
It is an ordinary assessment file (assessments/exchange.py)."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model

from assessments.exchange import assessment_from_data
from assessments.models import Assessment
from assessments.seed import FIXTURES

DEMO_FILE = FIXTURES / "demo" / "misato-demo.json"


def create_demo_assessment(*, user=None, path: Path = DEMO_FILE) -> Assessment:
    if user is None:
        user, created = get_user_model().objects.get_or_create(username="demo", defaults={"first_name": "デモ"})
        if created:
            user.set_unusable_password()
            user.save()
    return assessment_from_data(json.loads(Path(path).read_text(encoding="utf-8")), user=user)
