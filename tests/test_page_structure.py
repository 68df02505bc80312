"""Every page's HTML as assistive technology reads it (issue 15, "valid HTML"): no duplicate ids, and
headings that do not skip a level, on the pages that tests/test_accessibility.py gives to axe-core:
public, signed in, the report and letter previews and the admin's question-set pages."""

import re
from collections import Counter

import pytest
from django.urls import reverse

from assessments.demo import create_demo_assessment
from assessments.models import Assessment

pytestmark = pytest.mark.django_db


def problems(html: str) -> list[str]:
    found = [f"duplicate id {name!r} ({count}×)" for name, count in Counter(re.findall(r'\sid="([^"]+)"', html)).items()
             if count > 1]
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]
    if levels and levels[0] != 1:
        found.append(f"first heading is h{levels[0]}")
    found += [f"h{a} followed by h{b}" for a, b in zip(levels, levels[1:]) if b > a + 1]
    return found


@pytest.fixture
def demo_pages(catalogue, published_set, bob):
    demo = create_demo_assessment()
    Assessment.objects.filter(pk=demo.pk).update(owner=bob)
    from assessments.models import Membership

    Membership.objects.create(organisation=demo.organisation, user=bob, role="owner")
    return demo


def group_pages(bob) -> dict[str, list[str]]:
    """The pages of a group (団体) with members and a waiting invitation, by who opens them."""
    from django.contrib.auth import get_user_model

    from assessments.groups import token_hash
    from assessments.models import Invitation, Membership, Organisation

    group = Organisation.objects.create(name="ページ確認の会", description="説明")
    mine = Membership.objects.create(organisation=group, user=bob, role="owner")
    other = get_user_model().objects.create_user("member-of-group", "m@example.org")
    Membership.objects.create(organisation=group, user=other, role="editor")
    token = "page-structure-token-0123456789abcdef"
    Invitation.objects.create(organisation=group, email="x@example.org", role="viewer", token_hash=token_hash(token),
                              invited_by=bob)
    return {
        "": [reverse("invitation", args=[token])],
        "bob": [reverse("organisation_list"), reverse("organisation_create"), reverse("organisation_detail", args=[group.pk]),
                reverse("organisation_leave", args=[group.pk]), reverse("membership_remove", args=[group.pk, mine.pk])],
    }


def test_pages_have_unique_ids_and_headings_in_order(client, bob, alice, demo_pages):
    demo = demo_pages
    public = ["home", "project_list", "topic_list", "dashboard", "public_list", "questionset_list", "login"]
    urls = [reverse(name) for name in public] + [
        reverse("project_detail", args=["case-toda-kyoiku-db"]),
        reverse("project_detail", args=["case-misato-kodomo-data"]),
        reverse("questionset_detail", args=[demo.question_set.key, demo.question_set.version]),
    ]
    published = create_demo_assessment()
    Assessment.objects.filter(pk=published.pk).update(status=Assessment.Status.PUBLISHED)
    urls += [reverse("public_assessment", args=[published.pk]), reverse("project_list") + "?q=LINE"]
    private = [reverse("assessment_summary", args=[demo.pk]), reverse("assessment_review", args=[demo.pk]),
               reverse("letter_settings", args=[demo.pk]), reverse("assessment_start", args=["case-misato-kodomo-data"]),
               reverse("answer_history", args=[demo.pk, "a-public-comment"]), reverse("report_preview", args=[demo.pk]),
               reverse("letter_preview", args=[demo.pk]), reverse("inventory_import", args=[demo.pk]),
               reverse("assessment_list"), reverse("compare")]
    private += [reverse("assessment_section", args=[demo.pk, section.key]) for section in demo.question_set.sections.all()]
    action = demo.planned_actions.order_by("pk").first()
    private += [reverse("action_plan", args=[demo.pk]), reverse("action_new", args=[demo.pk]) + "?from=d-deletion-at-end",
                reverse("action_detail", args=[demo.pk, action.pk]), reverse("action_edit", args=[demo.pk, action.pk]),
                reverse("action_delete", args=[demo.pk, action.pk])]
    group_urls = group_pages(bob)
    urls += group_urls[""]
    private += group_urls["bob"]
    admin = [reverse("admin:index"), reverse("admin:assessments_questionset_changelist"),
             reverse("admin:assessments_questionset_change", args=[demo.question_set.pk]),
             reverse("admin:assessments_questionset_preview", args=[demo.question_set.pk])]
    found = {}
    for user, group in ((None, urls), (bob, private), (alice, admin)):
        if user:
            client.force_login(user)
        for url in group:
            response = client.get(url)
            assert response.status_code == 200, url
            if problems(response.content.decode()):
                found[url] = problems(response.content.decode())
    assert found == {}


def test_the_check_finds_what_it_looks_for():
    assert problems('<h1 id="a">x</h1><h3 id="a">y</h3>') == ["duplicate id 'a' (2×)", "h1 followed by h3"]
    assert problems('<h2>x</h2>') == ["first heading is h2"]
    assert problems('<h1 id="a">x</h1><h2 id="b">y</h2><h2>z</h2><h3>w</h3><h1>v</h1>') == []


def test_each_question_is_a_group_named_by_its_legend_with_required_inside(client, bob, demo_pages):
    """A question is a fieldset whose legend is its text with 「必須」 inside, described by its guidance,
    and no landmark of its own (nine questions made nine regions and nine 「ガイダンス」 asides)."""
    demo = demo_pages
    client.force_login(bob)
    checked = 0
    for section in demo.question_set.sections.prefetch_related("questions"):
        html = client.get(reverse("assessment_section", args=[demo.pk, section.key])).content.decode()
        assert "<section" not in html.split('id="section-form"', 1)[1] and "<aside" not in html
        for question in section.questions.all():
            start = html.index(f'id="q-{question.key}"')
            block = html[start:html.find('class="card mb-3 dx-question', start + 1) % len(html)]
            legend = re.search(rf'<fieldset[^>]*>\s*<legend class="dx-question-text" id="label-{question.key}">(.*?)</legend>', block, re.S)
            assert legend, question.key
            text = re.sub(r"<[^>]+>", "", legend.group(1))
            assert question.text in text.replace("&#x27;", "'").replace("&quot;", '"')
            assert ("必須" in text) == question.required, question.key
            if question.guidance:
                assert f'aria-describedby="guide-{question.key}"' in block and f'id="guide-{question.key}"' in block
            if question.type in ("text", "textarea", "number", "date"):
                field = re.search(rf'<(input|textarea)[^>]*id="id_q-{question.key}"[^>]*>', block).group(0)
                assert f'aria-labelledby="label-{question.key}"' in field
            checked += 1
    assert checked > 60
