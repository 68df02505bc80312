"""The PDF report and the question letter."""

import io
import json
import logging
import re
import socket
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.test import Client
from pypdf import PdfReader

from assessments import answer_saving, selectors
from assessments.demo import DEMO_FILE, create_demo_assessment
from assessments.models import Answer, Assessment, InventoryRow, LetterDetails, Municipality, Question
from assessments.reports import charts, letter, render
from assessments.reports.fetcher import BASE_URL, RefusedURL, StaticOnlyFetcher
from tests.conftest import save_now
from tests.pdf_reading import structure, toc_entries

pytestmark = pytest.mark.django_db


def squash(text: str) -> str:
    """PDF text without the line breaks and spaces that layout inserts."""
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def demo(catalogue, published_set):
    return create_demo_assessment()


DEMO_DATA = json.loads(DEMO_FILE.read_text(encoding="utf-8"))


def visible_questions(assessment, *meanings):
    """The answers shown (their condition met) whose chosen choices have one of ``meanings``."""
    visible = selectors.assessment_workspace(assessment).result.visible
    answers = Answer.objects.filter(assessment=assessment, question__key__in=visible).select_related("question")
    return [a for a in answers if any(c["meaning"] in meanings for c in a.snapshot.get("choices", []))]


def test_the_demo_is_fully_answered(demo):
    assert demo.answers.count() == demo.question_set.questions.count()
    assert InventoryRow.objects.filter(answer__assessment=demo).count() == len(DEMO_DATA["inventory"]) == 36
    assert visible_questions(demo, "unknown") and visible_questions(demo, "not_disclosed")


def test_the_report_contains_the_assessment(demo, caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    pdf = render.report_pdf(demo)
    pages = pdf_text(pdf)
    text = squash("".join(pages))
    assert "こどもデータ連携実証事業" in text and "美里町" in text
    assert squash(demo.title) in text
    # Long Japanese answers and notes from the demo appear.
    visible = selectors.assessment_workspace(demo).result.visible
    textareas = Answer.objects.filter(assessment=demo, question__type="textarea", question__key__in=visible)
    assert textareas.count() >= 2
    for answer in textareas:
        assert squash(answer.value)[:40] in text, answer.question.key
    # Every unknown and not-disclosed item, and every inventory item.
    for answer in visible_questions(demo, "unknown", "not_disclosed"):
        assert squash(answer.question.text) in text, answer.question.key
    for row in InventoryRow.objects.filter(answer__assessment=demo):
        assert squash(row.data_item) in text, row.data_item
    # The table of contents (page 2) lists every chapter with the page it starts on: the printed
    # number is the page its link goes to, on which the chapter's heading stands.
    entries = toc_entries(pdf)
    titles = [e.title for e in entries]
    for section in demo.question_set.sections.all():
        assert section.title in titles, section.title
    assert "データ項目一覧" in titles and "付録: 質問セットと出典" in titles and "採点の方法" in titles
    for entry in entries:
        assert entry.printed == entry.target, entry
        assert squash(entry.title) in squash(pages[entry.target - 1]), entry
    numbers = [e.printed for e in entries]
    assert numbers == sorted(numbers) and numbers[0] > 2 and len(set(numbers)) > 10
    assert not [r for r in caplog.records if "glyph" in r.getMessage().lower()]


def test_report_pages_have_a_running_header_page_numbers_and_numbered_lists(demo):
    pages = pdf_text(render.report_pdf(demo))
    for number, page in enumerate(pages[1:], start=2):
        assert f"{number} / {len(pages)}" in page
        assert "美里町 こどもデータ連携実証事業" in page and "dxpia プライバシー影響評価報告書" in page
    assert "1 / " not in pages[0]  # the cover has no page number
    # The demonstration says so in the running header of every page, the cover included.
    assert all("デモ（架空の記録を含む）" in page for page in pages)
    text = squash("".join(pages))
    context = render.report_context(demo)
    for kind in ("not_disclosed", "unknown"):
        assert context[kind]
        for number, question in enumerate(context[kind], start=1):
            assert f"{number}.{squash(question.text)}（{squash(question.section.title)}）" in text
    proposals = context["proposals"]
    assert proposals
    for number, (question, _answer) in enumerate(proposals, start=1):
        assert f"{number}.{squash(question.section.title)}「{squash(question.text)}」" in text


def test_the_report_embeds_a_japanese_font_and_metadata(demo, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(render.report_pdf(demo))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    japanese = [line for line in fonts.splitlines() if "IPAex" in line]
    assert japanese and all(" yes yes yes " in line for line in japanese)
    reader = PdfReader(str(path))
    assert reader.metadata.title == "プライバシー影響評価報告書: 美里町 こどもデータ連携実証事業"
    assert reader.metadata.author == "デモ"
    assert reader.metadata.creation_date is not None
    assert reader.trailer["/Root"]["/Lang"] == "ja"
    assert len(reader.outline) >= 10  # bookmarks: summary, sections, inventory, appendix…


def test_the_letter_lists_exactly_the_unknown_and_undisclosed_questions_in_order(demo):
    text = render.letter_text(demo)
    assert text.splitlines()[0] == "デモ（架空の記録を含む）" and "美里町長 様" in text.splitlines()[:6]
    expected = [
        q for q in Question.objects.filter(question_set=demo.question_set).order_by("section__position", "position")
        if q.pk in {a.question_id for a in visible_questions(demo, "unknown", "not_disclosed")}
    ]
    numbered = re.findall(r"^(\d+)\. (.+)$", text, flags=re.M)
    assert [int(n) for n, _q in numbered] == list(range(1, len(expected) + 1))
    assert [line.replace("（これまでに開示されていない事項です）", "") for _n, line in numbered] == [
        q.municipality_question.replace("貴団体", "貴町") for q in expected
    ]
    documents = [line[1:] for line in text.splitlines() if line.startswith("・")]
    assert documents and len(documents) == len(set(documents))


def test_a_letter_to_no_named_municipality_cites_no_ordinance_and_nests_quotation_marks(demo):
    assert "情報公開条例に基づく公開を求める予定です" in render.letter_text(demo)  # 美里町's own ordinance
    project = demo.project
    project.municipality, project.title = None, "子育て支援アプリ「Home Ciao(ほめちゃお)」"
    project.save()
    demo.refresh_from_db()
    text = render.letter_text(demo)
    assert "「子育て支援アプリ『Home Ciao(ほめちゃお)』」に関する質問書" in text and "ご担当者 様" in text
    assert "「子育て支援アプリ『Home Ciao(ほめちゃお)』」について" in text
    # Whoever receives it, no ordinance binds a body the letter cannot name (a vendor has none).
    assert "情報公開条例" not in text and "次の文書の写しをご提供いただけますようお願いいたします" in text
    pdf = squash("".join(pdf_text(render.letter_pdf(demo))))
    assert "「子育て支援アプリ『HomeCiao(ほめちゃお)』」に関する質問書" in pdf and "情報公開条例" not in pdf


def test_the_letter_pdf_has_the_same_questions(demo):
    text = squash("".join(pdf_text(render.letter_pdf(demo))))
    assert "美里町長様" in text and "質問書" in text
    for answer in visible_questions(demo, "not_disclosed"):
        assert squash(answer.question.municipality_question.replace("貴団体", "貴町")) in text


@pytest.mark.parametrize("kind, head", [("city", "市長"), ("designated_city", "市長"), ("town", "町長"), ("village", "村長")])
def test_the_letter_addresses_the_head_of_the_municipality(kind, head):
    municipality = Municipality(code="111007", name="ある" + head[0], kind=kind)
    assert municipality.head_title == head
    assert letter.addressee(municipality) == f"ある{head[0]}長 様"
    assert letter.addressee(None) == "ご担当者 様"


def test_the_cache_serves_the_same_bytes_until_an_answer_changes(demo, client):
    client.force_login(demo.owner)
    url = reverse("report_pdf", args=[demo.pk])
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert first.content == second.content
    question = demo.question_set.questions.get(key="c-legal-article")
    save_now(demo, demo.owner, {question: answer_saving.AnswerChange(value="第69条第2項第3号（変更後）")})
    third = client.get(url)
    assert third.content != first.content
    assert "第69条第2項第3号（変更後）" in squash("".join(pdf_text(third.content)))


def test_downloads_have_japanese_file_names(demo, client):
    client.force_login(demo.owner)
    for name, extension in (("report_pdf", "pdf"), ("letter_pdf", "pdf"), ("letter_text", "txt")):
        response = client.get(reverse(name, args=[demo.pk]))
        disposition = response["Content-Disposition"]
        assert response.status_code == 200
        assert disposition.startswith("attachment; filename*=utf-8''") or "filename*=UTF-8''" in disposition
        assert "%E7%BE%8E%E9%87%8C%E7%94%BA" in disposition  # 美里町, percent-encoded
        assert disposition.endswith(f".{extension}")
    assert "美里町長 様" in client.get(reverse("letter_text", args=[demo.pk])).content.decode()


def test_previews_and_downloads_are_only_for_the_owner(demo, client, charlie):
    client.force_login(charlie)
    for name in ("report_pdf", "report_preview", "letter_pdf", "letter_text", "letter_preview"):
        assert client.get(reverse(name, args=[demo.pk])).status_code == 404, name
    client.force_login(demo.owner)
    preview = client.get(reverse("report_preview", args=[demo.pk])).content.decode()
    assert "目次" in preview and demo.title in preview
    assert "美里町長 様" in client.get(reverse("letter_preview", args=[demo.pk])).content.decode()


def test_the_summary_links_both_documents(demo, client):
    client.force_login(demo.owner)
    page = client.get(reverse("assessment_summary", args=[demo.pk])).content.decode()
    for name in ("report_pdf", "letter_pdf", "letter_text"):
        assert reverse(name, args=[demo.pk]) in page


def test_user_urls_and_markup_are_never_fetched(demo, monkeypatch):
    connections = []

    def refuse(self, address):
        connections.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    question = demo.question_set.questions.get(key="f-review-opinion")
    evidence_question = demo.question_set.questions.get(key="d-contract-document")
    save_now(demo, demo.owner, {
        question: answer_saving.AnswerChange(value='<img src="file:///etc/passwd"> と <script>alert(1)</script>'),
        evidence_question: answer_saving.AnswerChange(evidence=[
            {"title": "パスワードファイル", "url": "file:///etc/passwd", "page": "", "date": None, "note": ""},
            {"title": "ローカルのサーバー", "url": "http://127.0.0.1:9/", "page": "", "date": None, "note": ""},
        ]),
    })
    demo.refresh_from_db()
    html = render.report_html(demo)
    assert '<img src="file:///etc/passwd">' not in html and "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    assert 'href="file:' not in html and 'href="http://127.0.0.1:9/"' in html  # a link in the PDF, never fetched
    text = "".join(pdf_text(render.html_to_pdf(html)))
    assert '<img src="file:///etc/passwd">' in squash(text).replace("<imgsrc", "<img src")
    assert "file:///etc/passwd" in text
    with open("/etc/passwd", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                assert line.strip() not in text
    assert connections == []


def test_a_sources_page_reads_as_typed_or_as_a_page_number_never_with_the_unit_twice(demo):
    question = demo.question_set.questions.get(key="d-contract-document")
    pages = ["12", "3-5", "全12頁（うち4頁に黒塗り）", "p.2〜4", "1枚"]
    save_now(demo, demo.owner, {question: answer_saving.AnswerChange(evidence=[
        {"title": f"資料{n}", "url": "", "page": page, "date": None, "note": ""} for n, page in enumerate(pages)])})
    demo.refresh_from_db()
    text = squash("".join(pdf_text(render.html_to_pdf(render.report_html(demo)))))
    assert "資料0、12ページ" in text and "資料1、3-5ページ" in text
    assert "資料2、全12頁（うち4頁に黒塗り）" in text and "資料3、p.2〜4" in text and "資料4、1枚" in text
    assert "頁）ページ" not in text and "〜4ページ" not in text and "1枚ページ" not in text


def test_the_list_of_sources_names_the_law_of_a_citation_that_leans_on_the_one_before():
    assert render.cited_sources([
        "個人情報保護法2条3項; 同法施行令2条",
        "個人情報保護法66条1項・2項（安全管理措置）; 71条（外国にある第三者への提供の場合のみ）; 個人情報保護委員会 Q&A（行政機関等編）Q2-3-2",
        "個人情報保護法68条; 個人情報取扱特記事項; 同法施行規則43条",
        "番号法28条; 特定個人情報保護評価に関する規則; 番号法9条・19条;;",
    ]) == [
        "個人情報保護委員会 Q&A（行政機関等編）Q2-3-2", "個人情報保護法2条3項", "個人情報保護法66条1項・2項（安全管理措置）",
        "個人情報保護法68条", "個人情報保護法71条（外国にある第三者への提供の場合のみ）", "個人情報保護法施行令2条",
        "個人情報保護法施行規則43条", "個人情報取扱特記事項", "特定個人情報保護評価に関する規則", "番号法28条", "番号法9条・19条",
    ]


@pytest.mark.parametrize("path", sorted((Path(settings.BASE_DIR) / "dxpia" / "fixtures" / "questionsets").glob("*.json")),
                         ids=lambda path: path.name)
def test_every_source_in_the_reports_list_names_what_it_cites(path):
    bases = []

    def collect(node):
        if isinstance(node, dict):
            bases.extend([node["basis"]] if isinstance(node.get("basis"), str) else [])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(json.loads(path.read_text(encoding="utf-8")))
    assert len(bases) > 30
    orphans = [source for source in render.cited_sources(bases) if source.startswith("同") or source[0].isdigit()]
    assert orphans == []


def test_each_flagged_inventory_row_is_named_by_its_number_in_the_inventory(demo):
    from django.utils.html import escape

    flagged = selectors.assessment_workspace(demo).flagged_rows()
    names = [row.data_item for _question, row, _number in flagged]
    assert len(names) > len(set(names))  # the demo has two rows named 児童観察データ, as the seed does
    html = render.report_html(demo)
    for _question, row, number in flagged:
        assert f"（データ項目一覧の{number}行目）" in html
        table_row = re.search(rf'<td class="num" rowspan="2">{number} ⚠</td><td>(?:<span class="category">[^<]*</span><br>)?([^<]*)</td>', html)
        assert table_row and table_row.group(1) == escape(row.data_item)
    listed = re.findall(r"<li>・(要配慮個人情報「[^<]*)</li>", html)
    assert len(listed) >= len(flagged) and len(listed) == len(set(listed))


def test_the_fetcher_serves_only_the_apps_static_files():
    fetcher = StaticOnlyFetcher()
    css = fetcher.fetch(BASE_URL + "static/css/dxpia.css")
    assert b"font-family" in css.read() and css.content_type == "text/css"
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/",
        "https://example.org/static/css/dxpia.css",
        BASE_URL + "static/../../../../etc/passwd",
        BASE_URL + "static/no-such-file.css",
        BASE_URL + "admin/",
    ):
        with pytest.raises((RefusedURL, ValueError)):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,5pel5pys").read().decode() == "日本"


def test_huge_answers_and_200_row_inventories_still_render(demo):
    changes = {}
    for question in demo.question_set.questions.filter(type="textarea"):
        changes[question] = answer_saving.AnswerChange(value=("長い回答。" * 4000)[:20_000])
    inventory = demo.question_set.questions.get(type="inventory")
    changes[inventory] = answer_saving.AnswerChange(rows=[
        {"data_item": f"データ項目{i}", "held_by": "TKC", "purpose": "虐待", "legal_basis": "", "sensitive": "yes",
         "children": "yes", "necessity": "", "retention": "不明", "shared_with_vendor": "unknown"}
        for i in range(200)
    ])
    save_now(demo, demo.owner, changes)
    demo.refresh_from_db()
    pdf = render.report_pdf(demo)
    pages = pdf_text(pdf)
    assert len(pages) > 40
    text = squash("".join(pages))
    assert "データ項目199" in text and "データ項目0" in text


def test_the_chart_escapes_labels_and_marks_unscored_sections():
    svg = charts.bar_chart([("A. <b>説明</b>", 62.5), ("B", None)], title="得点率", description="A 62.5%")
    assert "&lt;b&gt;説明&lt;/b&gt;" in svg and "<b>" not in svg
    assert "62.5%" in svg and "採点なし" in svg and "<title" in svg and "<desc" in svg


def test_the_sections_chart_is_coloured_by_each_sections_level_with_the_sets_thresholds(demo):
    """The bars say what the table above them says: one colour per level of the set (and one for
    判定保留, not the colour of a poor score), a gridline at each threshold, and a legend."""
    import xml.etree.ElementTree as ET

    context = render.report_context(demo)
    svg = ET.fromstring(str(context["chart"]))
    ns = "{http://www.w3.org/2000/svg}"
    rects = [r.get("fill") for r in svg.iter(f"{ns}rect")]
    levels = sorted(context["workspace"].levels, key=lambda level: -level.min_percent)
    names = [level.label for level in levels] + ["判定保留（確認できない事項が多い）"]
    palette = charts.level_colours(len(names))
    swatches, bars = rects[:len(names)], rects[len(names):]
    assert swatches == palette
    legend = [t.text for t in svg.iter(f"{ns}text")][:len(names)]
    assert legend == names
    scored = [c for c in context["chapters"] if c.score is not None and c.score.maximum]
    assert len(bars) == len(scored)
    for chapter, fill in zip(scored, bars):
        assert fill == palette[names.index(chapter.score.level.label)], chapter.section.title
    pending = [c for c in scored if c.score.pending]
    assert pending and all(bars[scored.index(c)] == palette[-1] != palette[names.index(levels[-1].label)] for c in pending)
    lines = sorted({round(float(line.get("x1")), 1) for line in svg.iter(f"{ns}line")})
    assert len(lines) == len({0, 100} | {level.min_percent for level in levels})
    assert "判定保留" in svg.find(f"{ns}desc").text


def test_the_scoring_method_chapter_lets_a_reader_recompute_every_section(demo):
    """Each scored question with its weight, its choices' points and what its answer added: summed
    per section they are the section's 得点 (a clerk could not check 「得点 12 / 46」 before: neither
    the weights nor the points were printed anywhere public)."""
    context = render.report_context(demo)
    method = context["scoring_method"]
    assert method
    for section, rows, section_score in method:
        counted = [row.points for row in rows if row.points]
        assert (sum(p[0] for p in counted), sum(p[1] for p in counted)) == (section_score.achieved, section_score.maximum), section.key
    html = render.report_html(demo, context)
    chapter = html.split('id="scoring-method"')[1].split("</section>")[0]
    consent = next(row for _s, rows, _sc in method for row in rows if row.question.key == "a-consent-method")
    assert "（2点）" in chapter and "（0点）" in chapter and f"{consent.points[0]} / {consent.points[1]}" in chapter
    assert "80%以上" in chapter and "判定保留（確認できない事項が多い）" in chapter
    weights = {row.question.weight for _s, rows, _sc in method for row in rows}
    assert weights >= {1, 2, 3}


def test_the_commands_write_both_documents(demo, tmp_path, capsys):
    call_command("render_report", str(demo.pk), "-o", str(tmp_path / "r.pdf"))
    call_command("render_letter", str(demo.pk), "-o", str(tmp_path / "l.txt"))
    call_command("render_letter", str(demo.pk), "-o", str(tmp_path / "l.pdf"))
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "l.pdf").read_bytes().startswith(b"%PDF")
    assert "美里町長 様" in (tmp_path / "l.txt").read_text(encoding="utf-8")


def test_demo_assessment_prints_the_new_id(catalogue, published_set, capsys):
    call_command("demo_assessment")
    assessment_id = int(capsys.readouterr().out.strip())
    assessment = Assessment.objects.get(pk=assessment_id)
    assert assessment.is_demo and (assessment.question_set.key, assessment.question_set.version) == ("dx-pia", 4)
    assert assessment.answers.count() == assessment.question_set.questions.count()


def test_the_report_pdf_is_tagged_for_screen_readers(demo, tmp_path):
    pdf = render.report_pdf(demo)
    tree = structure(pdf)
    assert tree["lang"] == "ja" and tree["marked"] and demo.project.title in tree["title"]
    counts = tree["counts"]
    # Headings, the inventory and score tables with header cells, lists, and the chart with its text.
    assert counts["H1"] >= 10 and counts["H2"] >= 10
    assert counts["Table"] >= 3 and counts["TH"] >= 20 and counts["TD"] >= 100 and counts["LI"] >= 50
    # The charts: the scores, and the risk map before and after the planned measures (each followed
    # by its table of the same data).
    assert sorted(tree["alternatives"]) == ["リスクマップ（いまの対策のもとで）", "リスクマップ（予定の対策の後に残るリスク）",
                                            "節ごとの得点率"]
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    letter_tree = structure(render.letter_pdf(demo))
    assert letter_tree["lang"] == "ja" and letter_tree["marked"] and letter_tree["counts"]["H1"] >= 1


def test_the_inventory_pages_read_item_by_item(demo, tmp_path):
    """The text in the order the PDF holds it (pdftotext -raw; what copy-paste and, through the tags,
    screen readers follow) gives each inventory item's fields together: its name, then its details,
    before the next item. (pdftotext without -raw guesses an order from positions and puts the
    continuation lines of a wrapped cell after the row's other cells.)"""
    pdf = render.report_pdf(demo)
    pages = pdf_text(pdf)
    first = next(i for i, text in enumerate(pages) if "データ項目一覧" in text and "保存期間" in text) + 1
    last = next(i for i, text in enumerate(pages) if "不明・未開示の事項" in text and i + 1 > first)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = squash(subprocess.run(["pdftotext", "-raw", "-f", str(first), "-l", str(last), str(path), "-"],
                                 capture_output=True, text=True, check=True).stdout)
    rows = list(InventoryRow.objects.filter(answer__assessment=demo).order_by("position"))
    positions = []
    for row in rows:  # each item found after the one before it
        positions.append(text.index(squash(row.data_item)[:12], positions[-1] + 1 if positions else 0))
    for row, here, following in zip(rows, positions, positions[1:] + [len(text)]):
        if row.necessity:
            reason = squash(row.necessity)[:15]
            assert here < text.index(reason, here) < following, row.data_item


def test_the_summary_and_the_public_page_put_the_questions_as_the_letter_does(demo, client):
    """The set writes the addressee as 貴団体; the letter to 美里町 says 貴町, and so do the pages
    that list the same questions."""
    client.force_login(demo.owner)
    page = client.get(reverse("assessment_summary", args=[demo.pk])).content.decode()
    questions = page[page.index('id="letter-heading"'):]
    questions = questions[:questions.index("</ol>")]
    assert "貴町" in questions and "貴団体" not in questions
    Assessment.objects.filter(pk=demo.pk).update(status=Assessment.Status.PUBLISHED)
    public = Client().get(reverse("public_assessment", args=[demo.pk])).content.decode()
    assert "貴町" in public and "貴団体" not in public
    # A letter to the board of education puts them to 貴教育委員会, and so do the pages.
    LetterDetails.objects.update_or_create(assessment=demo, defaults={"addressed_to": "education"})
    page = client.get(reverse("assessment_summary", args=[demo.pk])).content.decode()
    assert "貴教育委員会" in page[page.index('id="letter-heading"'):] and "貴町（" not in page
    assert "貴教育委員会" in render.letter_text(demo)


def test_the_lists_of_unknowns_say_why_they_can_hold_more_than_the_confirmation_rates_counts(demo, client):
    """The demo's summary showed 「確認率 55.0%（不明 18・未開示 9）」 beside lists of 19 and 10: the lists
    hold the number and date questions too, and now say so."""
    result = selectors.assessment_workspace(demo).result
    assert len(result.unknown) > result.overall.unknown and len(result.not_disclosed) > result.overall.not_disclosed
    note = "点数のない質問（人数、日付、資料など）の「不明」「未開示」も入るため"
    client.force_login(demo.owner)
    assert note in client.get(reverse("assessment_summary", args=[demo.pk])).content.decode()
    assert squash(note) in squash("".join(pdf_text(render.report_pdf(demo))))
