"""The WeasyPrint set-up behind every document: the trimmed stylesheet, the paused collector and the
font configuration each thread keeps."""

import gc
import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader
from weasyprint.html import UA

from assessments.reports import engine

PAGE = "<html lang='ja'><body><h1>見出し</h1><ol><li>一つ目</li></ol><p>本文<br>二行目</p></body></html>"


def test_the_user_agent_stylesheet_loses_only_the_footnote_and_note_rules():
    # Fails when a WeasyPrint upgrade changes these rules: then the full stylesheet is used.
    assert engine.UA_TRIMMED
    trimmed = engine.trimmed_user_agent_css(UA)
    removed = [line for line in UA.splitlines() if line not in trimmed.splitlines()]
    assert len(removed) == len(engine.UNUSED_UA_RULES)
    assert all(line.startswith(engine.UNUSED_UA_RULES) for line in removed)
    assert engine.DocumentHTML(string=PAGE)._ua_stylesheets() == [engine.USER_AGENT_STYLESHEET]


def test_trimming_gives_up_when_a_rule_is_not_there():
    assert engine.trimmed_user_agent_css("p { margin: 0 }\n::footnote-call { content: none }") is None


def test_documents_keep_the_default_html_styles():
    pdf = engine.html_to_pdf(PAGE)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "見出し" in text and "一つ目" in text
    assert "1." in text  # ordered lists still number their items
    assert "本文\n二行目" in text  # <br> still breaks the line


@pytest.fixture
def collector_state():
    was_enabled = gc.isenabled()
    yield
    gc.enable() if was_enabled else gc.disable()


def test_a_render_turns_the_collector_back_on(collector_state):
    gc.enable()
    engine.html_to_pdf(PAGE)
    assert gc.isenabled()


def test_a_render_leaves_a_collector_that_was_off_off(collector_state):
    gc.disable()
    engine.html_to_pdf(PAGE)
    assert not gc.isenabled()


def test_overlapping_renders_share_one_pause(collector_state):
    gc.enable()
    with engine.cyclic_gc_paused:
        with engine.cyclic_gc_paused:
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer render is still running
    assert gc.isenabled()


def test_a_failed_render_turns_the_collector_back_on(collector_state):
    gc.enable()
    with pytest.raises(RuntimeError), engine.cyclic_gc_paused:
        raise RuntimeError("layout failed")
    assert gc.isenabled()


def page_text(pdf):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_thread_reuses_its_font_configuration_and_the_pdf_stays_the_same():
    first = engine.html_to_pdf(PAGE)
    config = engine.font_configuration()
    second = engine.html_to_pdf(PAGE)
    assert engine.font_configuration() is config
    assert second == first  # byte for byte (which lets tests/conftest.py render the same HTML once a run)


def test_threads_render_at_the_same_time_each_with_its_own_fonts():
    pages = [PAGE.replace("本文", f"本文{n}") for n in range(4)]

    def render(page):
        return engine.font_configuration(), page_text(engine.html_to_pdf(page))

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(render, pages))
    assert [text for _, text in results] == [page_text(engine.html_to_pdf(page)) for page in pages]
    assert engine.font_configuration() not in {config for config, _ in results}


def test_the_suite_renders_the_same_html_once_unless_its_fetcher_refused_a_url(fetched):
    """tests/conftest.py's ``_one_render_per_html``, which every other test uses: the second render
    of the same HTML through the app's ``render.html_to_pdf`` gives the first's bytes without
    rendering; HTML whose render refused a URL is rendered each time, so that a test spying on the
    fetcher sees what was asked."""
    from assessments.reports import render

    asked = fetched
    page = PAGE.replace("本文", "この試験だけの本文").replace("<body>", "<head><link rel='stylesheet' href='/static/css/dxpia.css'></head><body>")
    first = render.html_to_pdf(page)
    once = list(asked)
    assert once and render.html_to_pdf(page) == first and asked == once  # not rendered again
    refused = PAGE.replace("本文", "<img src='http://127.0.0.1:9/x.png' alt=''>本文")
    asked.clear()
    render.html_to_pdf(refused)
    render.html_to_pdf(refused)
    assert asked.count("http://127.0.0.1:9/x.png") == 2
