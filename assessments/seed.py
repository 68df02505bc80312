"""Load the shipped fixtures (municipalities, catalogue, question sets) idempotently.

Rows are matched on their natural keys (団体コード, project key, question-set key and version), so
running the seed again changes nothing that is already right and never duplicates a row.
"""

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from assessments.models import (
    Category,
    DataItem,
    DisclosureRule,
    Municipality,
    Partner,
    PlainFinding,
    Project,
    QuestionSet,
    Source,
    Topic,
)
from assessments.questionset_io import questionset_from_data, questionset_to_data, read_questionset_file

FIXTURES = Path(settings.PACKAGE_DIR) / "fixtures"

_KINDS = {
    "政令指定都市": Municipality.Kind.DESIGNATED_CITY,
    "市": Municipality.Kind.CITY,
    "町": Municipality.Kind.TOWN,
    "村": Municipality.Kind.VILLAGE,
}


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count(self, bucket: str, name: str) -> None:
        counts = self.created if bucket == "created" else self.updated
        counts[name] = counts.get(name, 0) + 1


def _save_if_changed(model, lookup: dict, values: dict, report: SeedReport, name: str):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        report.count("created", name)
        return obj
    _update_if_changed(obj, values, report, name)
    return obj


def _update_if_changed(obj, values: dict, report: SeedReport, name: str) -> None:
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.full_clean()
        obj.save()
        report.count("updated", name)


def _save_all_if_changed(model, key_field: str, rows: list[tuple[str, dict]], report: SeedReport, name: str,
                         *, related: tuple[str, ...] = ()) -> tuple[dict, set]:
    """``_save_if_changed`` for many rows of one model, matched on the unique ``key_field``: the
    rows already there are read in one query, changed ones saved one by one, and the new ones
    validated (their ``related`` objects come from the caller, already in the database) and made
    in one statement. The objects by key, in the order of ``rows``, and the keys of the new ones."""
    keys = [key for key, _values in rows]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{name}: the same {key_field} twice in the fixture")
    existing = model.objects.in_bulk(keys, field_name=key_field)
    objects, new = {}, []
    for key, values in rows:
        obj = existing.get(key)
        if obj is None:
            obj = model(**{key_field: key}, **values)
            # Unique fields: none of these keys is in the database (read above) nor twice in the file;
            # any other unique value twice (e.g. a name) the database refuses, and seed_all's
            # transaction leaves nothing of the seed behind.
            obj.full_clean(exclude=list(related), validate_unique=False)
            new.append(obj)
            report.count("created", name)
        else:
            _update_if_changed(obj, values, report, name)
        objects[key] = obj
    model.objects.bulk_create(new)
    return objects, set(keys) - set(existing)


def seed_municipalities(report: SeedReport, path: Path = FIXTURES / "municipalities.tsv") -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(row["code"], {"name": row["name"], "kind": _KINDS[row["kind"]]})
                for row in csv.DictReader(handle, delimiter="\t")]
    _save_all_if_changed(Municipality, "code", rows, report, "municipalities")


def seed_projects(report: SeedReport, path: Path = FIXTURES / "projects.json") -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    sources, _new = _save_all_if_changed(Source, "key", [
        (item["key"], {
            "title": item["title"],
            "stated_total_thousand_yen": item.get("stated_total_thousand_yen"),
            "note": item.get("note", ""),
        })
        for item in data.get("sources", [])
    ], report, "sources")
    categories, _new = _save_all_if_changed(Category, "key", [
        (item["key"], {"name": item["name"], "position": position})
        for position, item in enumerate(data["categories"])
    ], report, "categories")
    municipalities = {m.code: m for m in Municipality.objects.all()}
    projects, created = _save_all_if_changed(Project, "key", [
        (item["key"], {
            "municipality": municipalities[item["municipality_code"]] if item.get("municipality_code") else None,
            "title": item["title"],
            "program": item.get("program", ""),
            "fiscal_year": item.get("fiscal_year"),
            "budget_note": item.get("budget_note", ""),
            "amount_thousand_yen": item.get("amount_thousand_yen"),
            "derived_amount_thousand_yen": item.get("derived_amount_thousand_yen"),
            "amount_note": item.get("amount_note", ""),
            "source_row": item.get("source_row"),
            "source_note": item.get("source_note", ""),
            "kind": item.get("kind", Project.Kind.OTHER),
            "source": sources[item["source"]] if item.get("source") else None,
            "description": item.get("description", ""),
            "responsible_body": item.get("responsible_body", Project.ResponsibleBody.HEAD),
        })
        for item in data["projects"]
    ], report, "projects", related=("municipality", "source"))
    # New projects get their categories, data items and partners in one statement each; those that
    # were there are compared with the fixture one by one.
    new = [item for item in data["projects"] if item["key"] in created]
    Project.categories.through.objects.bulk_create(
        Project.categories.through(project=projects[item["key"]], category=categories[key])
        for item in new for key in item.get("categories", []))
    DataItem.objects.bulk_create(
        DataItem(project=projects[item["key"]], **values)
        for item in new for values in _data_item_values(item.get("data_items", [])))
    Partner.objects.bulk_create(
        Partner(project=projects[item["key"]], **values)
        for item in new for values in _partner_values(item.get("partners", [])))
    for item in new:
        if item.get("data_items"):
            report.count("created", "data item lists")
        if item.get("partners"):
            report.count("created", "partner lists")
    for item in data["projects"]:
        if item["key"] not in created:
            project = projects[item["key"]]
            wanted_categories = {categories[key].pk for key in item.get("categories", [])}
            if set(project.categories.values_list("pk", flat=True)) != wanted_categories:
                project.categories.set(wanted_categories)
            _seed_data_items(project, item.get("data_items", []), report)
            _seed_partners(project, item.get("partners", []), report)
    _seed_topics(data.get("topics", []), report)


def _data_item_values(items: list[dict]) -> list[dict]:
    return [
        {
            "position": position,
            "group": item.get("group", ""),
            "name": item["name"],
            "use_types": list(item.get("use_types", [])),
            "vendor": item.get("vendor", ""),
            "note": item.get("note", ""),
        }
        for position, item in enumerate(items)
    ]


def _partner_values(items: list[dict]) -> list[dict]:
    return [
        {"position": position, "kind": item["kind"], "name": item["name"], "listed": item.get("listed", 1)}
        for position, item in enumerate(items)
    ]


def _seed_data_items(project: Project, items: list[dict], report: SeedReport) -> None:
    wanted = _data_item_values(items)
    stored = list(project.data_items.values("position", "group", "name", "use_types", "vendor", "note"))
    if stored == wanted:
        return
    project.data_items.all().delete()
    DataItem.objects.bulk_create(DataItem(project=project, **values) for values in wanted)
    report.count("updated" if stored else "created", "data item lists")


def _seed_partners(project: Project, items: list[dict], report: SeedReport) -> None:
    wanted = _partner_values(items)
    stored = list(project.partners.values("position", "kind", "name", "listed"))
    if stored == wanted:
        return
    project.partners.all().delete()
    Partner.objects.bulk_create(Partner(project=project, **values) for values in wanted)
    report.count("updated" if stored else "created", "partner lists")


def _seed_topics(items: list[dict], report: SeedReport) -> None:
    projects = {p.key: p for p in Project.objects.filter(key__in={k for t in items for k in t.get("projects", [])})}
    for position, item in enumerate(items):
        missing = [key for key in item.get("projects", []) if key not in projects]
        if missing:
            raise ValueError(f"topic {item['key']}: unknown projects {missing}")
        topic = _save_if_changed(
            Topic,
            {"key": item["key"]},
            {
                "position": position,
                "title": item["title"],
                "summary": item["summary"],
                "quote": item.get("quote", ""),
                "question_keys": item.get("questions", []),
            },
            report,
            "topics",
        )
        wanted = {projects[key].pk for key in item.get("projects", [])}
        if set(topic.projects.values_list("pk", flat=True)) != wanted:
            topic.projects.set(wanted)


def seed_questionsets(report: SeedReport, folder: Path = FIXTURES / "questionsets") -> None:
    for path in sorted(folder.glob("*.json")):
        data = read_questionset_file(path)
        existing = QuestionSet.objects.filter(key=data.get("key"), version=data.get("version")).first()
        if existing is None:
            questionset_from_data(data)
            report.count("created", "question sets")
        elif questionset_to_data(existing) != data:
            report.notes.append(
                f"{path.name}: {existing} は既にあり、内容が異なります。公開済みの版は変更できないため、"
                "変更は新しい版（version）として追加してください。"
            )


class PlainFindingsError(ValueError):
    """A file of dxpia/fixtures/plain/ that cannot be loaded; the message names the file and place."""


def seed_plain_findings(report: SeedReport, folder: Path = FIXTURES / "plain") -> None:
    """The やさしい日本語 findings of each question set (``{"key", "version", "findings": {question
    key: {answer class: text}}}``, or ``"versions": [3, 4]`` for versions with the same questions and
    choices). They are reading aids kept beside the frozen questions, so a changed text updates the
    stored one; a question key or class the set does not have is an error, and a class a question
    needs but the file lacks is noted (that finding is left out of summaries)."""
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        versions = data["versions"] if isinstance(data.get("versions"), list) else [data.get("version")]
        for version in versions:
            _seed_plain_findings_of(report, path, data, version)


def _seed_plain_findings_of(report: SeedReport, path: Path, data: dict, version) -> None:
    from assessments import plain_language, selectors

    question_set = QuestionSet.objects.filter(key=data.get("key"), version=version).first()
    if question_set is None:
        raise PlainFindingsError(f"{path.name}: 質問セット {data.get('key')} v{version} がありません。")
    sections = selectors.questionset_structure(question_set)
    specs = {spec.key: spec for spec in selectors.question_specs(sections)}
    questions = {q.key: q for section in sections for q in section.questions.all()}
    findings = data.get("findings") or {}
    for key, texts in findings.items():
        if key not in questions:
            raise PlainFindingsError(f"{path.name}: 質問 {key} は {question_set} にありません。")
        wanted = plain_language.classes_for(specs[key])
        for cls, text in texts.items():
            if cls not in wanted:
                raise PlainFindingsError(f"{path.name}: {key} に分類 {cls} はありません（{', '.join(wanted)}）。")
            _save_if_changed(PlainFinding, {"question": questions[key], "answer_class": cls},
                             {"text": text.strip()}, report, "plain findings")
    missing = [f"{key}:{cls}" for key, spec in specs.items() for cls in plain_language.classes_for(spec)
               if cls not in findings.get(key, {})]
    if missing:
        report.notes.append(f"{path.name}: やさしい日本語の文がない分類 {len(missing)} 件（{', '.join(missing[:5])} …）")


DISCLOSURE_COLUMNS = (
    "code", "name", "ordinance", "article", "decision_days", "extension_days", "start", "holiday_moves",
    "source_url", "verified", "note", "pi_decision_days", "pi_extension_days", "pi_source", "pi_verified",
)
# Where the ordinance's text was not read (未確認, unknown), the count that gives the later due day:
# from the day after receipt (民法第140条's rule where nothing else is said), and a last day that
# falls on a closed day moving to the next working day. A request is then never called overdue while
# the municipality may still be within its time (municipality_requests.rule_periods says so).
_STARTS = {"翌日": DisclosureRule.Start.NEXT_DAY, "当日": DisclosureRule.Start.SAME_DAY, "未確認": DisclosureRule.Start.NEXT_DAY}
_YES_NO = {"yes": True, "no": False, "unknown": True}
_VERIFIED = {"確認済み": True, "未確認": False}


class DisclosureLimitsError(ValueError):
    """A row of dxpia/fixtures/disclosure_limits.tsv that cannot be loaded; the message names the line."""


def _days(row: dict, column: str, line: int) -> int:
    text = (row.get(column) or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 365:
        raise DisclosureLimitsError(f"{line}行目: {column} は1から365までの日数にしてください（「{text}」）。")
    return int(text)


def _one_of(row: dict, column: str, allowed: dict, line: int):
    text = (row.get(column) or "").strip()
    if text not in allowed:
        raise DisclosureLimitsError(
            f"{line}行目: {column} は {'・'.join(allowed)} のいずれかにしてください（「{text}」）。"
        )
    return allowed[text]


def read_disclosure_limits(path: Path, municipalities: dict[str, Municipality]) -> list[tuple[Municipality, dict]]:
    """The rows of disclosure_limits.tsv as (municipality, field values); DisclosureLimitsError names
    the first bad line (line 1 is the header)."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in DISCLOSURE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DisclosureLimitsError(f"1行目: 列がありません: {', '.join(missing)}")
        seen = set()
        for line, row in enumerate(reader, start=2):
            if None in row or any(row.get(c) is None for c in DISCLOSURE_COLUMNS):
                raise DisclosureLimitsError(f"{line}行目: 列の数が見出しと合いません。")
            code = row["code"].strip()
            municipality = municipalities.get(code)
            if municipality is None:
                raise DisclosureLimitsError(f"{line}行目: 団体コード「{code}」の自治体がありません。")
            if row["name"].strip() != municipality.name:
                raise DisclosureLimitsError(
                    f"{line}行目: 団体コード {code} は{municipality.name}です（「{row['name'].strip()}」とあります）。"
                )
            if code in seen:
                raise DisclosureLimitsError(f"{line}行目: 団体コード {code} が2回あります。")
            seen.add(code)
            url = row["source_url"].strip()
            if url and not url.startswith(("https://", "http://")):
                raise DisclosureLimitsError(f"{line}行目: source_url は http:// か https:// で始めてください。")
            rows.append((municipality, {
                "ordinance": row["ordinance"].strip()[:200],
                "article": row["article"].strip()[:200],
                "decision_days": _days(row, "decision_days", line),
                "extension_days": _days(row, "extension_days", line),
                "start": _one_of(row, "start", _STARTS, line),
                "holiday_moves": _one_of(row, "holiday_moves", _YES_NO, line),
                "source_url": url[:500],
                "verified": _one_of(row, "verified", _VERIFIED, line),
                "note": row["note"].strip(),
                "pi_decision_days": _days(row, "pi_decision_days", line),
                "pi_extension_days": _days(row, "pi_extension_days", line),
                "pi_source": row["pi_source"].strip()[:500],
                "pi_verified": _one_of(row, "pi_verified", _VERIFIED, line),
            }))
    return rows


def seed_disclosure_limits(report: SeedReport, path: Path = FIXTURES / "disclosure_limits.tsv") -> None:
    municipalities = {m.code: m for m in Municipality.objects.all()}
    for municipality, values in read_disclosure_limits(path, municipalities):
        _save_if_changed(DisclosureRule, {"municipality": municipality}, values, report, "disclosure rules")


@transaction.atomic
def seed_all() -> SeedReport:
    report = SeedReport()
    seed_municipalities(report)
    seed_disclosure_limits(report)
    seed_projects(report)
    seed_questionsets(report)
    seed_plain_findings(report)
    return report
