"""The whole interface works in English (issue 19).

- The English catalogues (dxpia/locale/en/LC_MESSAGES/django.po and djangojs.po) translate every
  message, none of them fuzzy, and hold every message the code and the templates ask for.
- Every page of the interface, rendered for a browser that asks for English, says <html lang="en">
  and has no Japanese character (kanji, kana, full-width punctuation such as （）「」、・) in its
  interface: the page's text and the attributes people read (title, aria-label, placeholder, alt,
  the value of a button), once the scripts, the styles, a form control's value and every element
  marked lang="ja" are set aside. lang="ja" marks what stays Japanese on purpose: a question set's
  words, what users wrote, the database's Japanese data (project and municipality names …), and the
  language switch's 「日本語」 (the marks are written where the page is not Japanese: on a Japanese
  page, and in the documents, the templates give what they gave before). What cannot be marked in
  part (the window title, an attribute, a chart's title and description) may quote only the
  Japanese data that the page itself shows marked. The admin's own templates cannot mark anything:
  there what the database holds is set aside.
- No start tag of those pages has an attribute cut short by a quote inside a value (a translation
  with quotes put into an attribute by {% translate %}, which does not escape), nor, outside the
  admin's own pages, an attribute naming an id that no element has (label for, aria-describedby …).
- The report and the letter stay Japanese (lang="ja"); the e-mails the app sends, made with English
  active, are English but for the names and titles they quote.

A failure lists each Japanese fragment with the page's address and where it is on the page: a
fragment of the interface needs {% translate %} (or gettext in the Python code that made it); a
fragment of data needs lang="ja" ({% lang_ja %}, |lang_ja or {% ja %} of the dxpia tags) on the
element that holds it.
"""

from __future__ import annotations

import ast
import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.forms_helper import read_form

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.PACKAGE_DIR) / "locale" / "en" / "LC_MESSAGES"
CATALOGUES = [LOCALE / "django.po", LOCALE / "djangojs.po"]

# Kana, kanji (with extension A and the compatibility block), the CJK symbols and punctuation
# (、。「」〜 and the ideographic space) and the full-width forms (（）：！…).
JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
BUTTON_INPUTS = ("submit", "button", "reset")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Set aside with their content: scripts, styles, and a textarea's content, which is the value of a
# form control (what the user typed), like a text input's value.
SKIPPED = {"script", "style", "textarea"}
# Elements whose start closes an open one left without its end tag (<li>a<li>b, <td>a<td>b).
CLOSES = {"li": {"li"}, "option": {"option"}, "p": {"p"}, "tr": {"tr", "td", "th"}, "td": {"td", "th"},
          "th": {"td", "th"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}}


# --- 1a. The catalogues -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_every_message_of_the_english_catalogue_is_translated_and_none_is_fuzzy(path):
    catalogue = polib.pofile(str(path))
    untranslated, fuzzy = [], []
    for entry in catalogue:
        if entry.obsolete:
            continue
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not texts or any(not text.strip() for text in texts):
            untranslated.append(entry.msgid)
        if "fuzzy" in entry.flags:
            fuzzy.append(entry.msgid)
    assert len(catalogue) > 0, path
    assert not untranslated and not fuzzy, (
        f"{path.name}: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy\n"
        + "".join(f"  untranslated: {msgid!r}\n" for msgid in untranslated)
        + "".join(f"  fuzzy: {msgid!r}\n" for msgid in fuzzy)
    )


def _catalogue_ids(path) -> set[tuple[str, str]]:
    return {(entry.msgctxt or "", entry.msgid) for entry in polib.pofile(str(path)) if not entry.obsolete}


GETTEXT_CALLS = {"gettext": 1, "gettext_lazy": 1, "gettext_noop": 1, "ngettext": 1, "ngettext_lazy": 1,
                 "pgettext": 2, "pgettext_lazy": 2, "npgettext": 2, "npgettext_lazy": 2}


def _python_messages(path: Path):
    """(context, msgid, where) of each gettext call with a literal in a module: by the names
    makemessages knows, and by any other name they are imported as (``gettext_lazy as _lazy``),
    which makemessages does not see; also inside f-strings, where it does not look either."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {"_": 1, **GETTEXT_CALLS}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in GETTEXT_CALLS:
                    names[alias.asname or alias.name] = GETTEXT_CALLS[alias.name]
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names):
            continue
        literals = [arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                    for arg in node.args]
        if names[node.func.id] == 2:
            if len(literals) >= 2 and literals[0] is not None and literals[1] is not None:
                yield literals[0], literals[1], f"{path}:{node.lineno}"
        elif literals and literals[0] is not None:
            yield "", literals[0], f"{path}:{node.lineno}"


def _template_messages(path: Path):
    """(context, msgid, where) of each {% translate %}, {% blocktranslate %} and _("…") of a
    template, as makemessages reads them (Django's templatize)."""
    from django.utils.translation.template import templatize

    text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    literal = r"u'((?:[^'\\]|\\.)*)'"
    for match in re.finditer(rf"\b(n?p?gettext)\({literal}(?:, {literal})?", text):
        function, first, second = match.groups()
        first = ast.literal_eval(f"'{first}'")
        if function.startswith(("pgettext", "npgettext")):
            yield first, ast.literal_eval(f"'{second}'"), str(path)
        else:
            yield "", first, str(path)


def _script_messages(path: Path):
    """(context, msgid, where) of each gettext("…") of a script (djangojs)."""
    quoted = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
    for match in re.finditer(rf"\bn?gettext\(({quoted})", path.read_text(encoding="utf-8")):
        yield "", ast.literal_eval(match.group(1)), str(path)


def test_every_message_the_code_asks_for_is_in_the_catalogue():
    """What makemessages would collect (and what it misses: a gettext call inside an f-string or
    under another name) is in the English catalogues, so that nothing shows in Japanese for want of
    an entry. Where makemessages looks: the app's code and templates, the wizard's script."""
    package = Path(settings.PACKAGE_DIR)
    root = package.parent
    python = [p for folder in (root / "assessments", package) for p in folder.rglob("*.py")
              if "migrations" not in p.parts and "collect" not in p.parts]
    templates = [p for p in (package / "templates").rglob("*") if p.suffix in (".html", ".txt")]
    scripts = list((package / "static" / "js").glob("*.js"))
    missing = []
    known = _catalogue_ids(LOCALE / "django.po")
    for path in python:
        missing += [(msgid, where) for context, msgid, where in _python_messages(path) if (context, msgid) not in known]
    for path in templates:
        missing += [(msgid, where) for context, msgid, where in _template_messages(path) if (context, msgid) not in known]
    known_js = _catalogue_ids(LOCALE / "djangojs.po")
    for path in scripts:
        missing += [(msgid, where) for context, msgid, where in _script_messages(path) if (context, msgid) not in known_js]
    places: dict[str, list[str]] = {}
    for msgid, where in missing:
        places.setdefault(msgid, []).append(where.removeprefix(str(root) + "/"))
    assert not places, f"{len(places)} messages are not in the catalogues (makemessages, then translate):\n" + "".join(
        f"  {msgid!r} ({', '.join(sorted(set(where))[:3])})\n" for msgid, where in places.items())


# --- 1b. The check of a page --------------------------------------------------------------------------


def squash(text: str) -> str:
    return " ".join(text.split())


class _Reader(HTMLParser):
    """Walks a page keeping its open elements; collects the text and the attributes that people
    read, outside scripts, styles and lang="ja" subtrees, and the text of each lang="ja" subtree
    (the Japanese data the page itself shows)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, set aside, starts a lang="ja" subtree)
        self.found: list[tuple[str, str]] = []  # (where, fragment)
        self.attributes: list[tuple[str, str]] = []  # checked at the end: the page's Japanese data is known then
        self.title: list[str] = []
        self.in_title = False
        self.japanese_data: list[str] = []
        self.data_text: list[str] | None = None
        self.svg_text: list[str] | None = None  # a chart's <title> or <desc>: text only, like an attribute
        self.html_lang = None

    def _aside(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _where(self, tag: str | None = None) -> str:
        path = [t for t, _aside, _starts in self.stack[-3:]] + ([tag] if tag else [])
        return " > ".join(path)

    def handle_starttag(self, tag, attrs):
        attrs = {name: (value or "") for name, value in attrs}
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag in CLOSES and self.stack and self.stack[-1][0] in CLOSES[tag]:
            self.handle_endtag(self.stack[-1][0])  # <li>a<li>b: the second closes the first
        japanese = attrs.get("lang", "").lower().startswith("ja")
        aside = self._aside() or tag in SKIPPED or japanese
        if not (self._aside() or japanese):  # a textarea's own attributes are read
            described = self._where(tag) + (f"#{attrs['id']}" if attrs.get("id") else "")
            for name in READ_ATTRIBUTES:
                if JAPANESE.search(attrs.get(name, "")):
                    self.attributes.append((f"{described} [{name}]", attrs[name]))
            button = tag == "button" or (tag == "input" and attrs.get("type", "").lower() in BUTTON_INPUTS)
            if button and JAPANESE.search(attrs.get("value", "")):
                self.attributes.append((f"{described} [value]", attrs["value"]))
        if tag in ("title", "desc") and any(t == "svg" for t, _aside, _starts in self.stack):
            if not aside:
                self.svg_text = []
        elif tag == "title":
            self.in_title = True
        if tag in VOID:
            return
        starts = japanese and not self._aside()
        if starts:
            self.data_text = []
        self.stack.append((tag, aside, starts))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in ("title", "desc") and self.svg_text is not None:
            text = "".join(self.svg_text)
            if JAPANESE.search(text):
                self.attributes.append((self._where(), text))
            self.svg_text = None
        elif tag == "title":
            self.in_title = False
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                if any(starts for _tag, _aside, starts in self.stack[depth:]) and self.data_text is not None:
                    self.japanese_data.append(squash("".join(self.data_text)))
                    self.data_text = None
                del self.stack[depth:]
                return

    def handle_data(self, data):
        if self.svg_text is not None:
            self.svg_text.append(data)
        elif self.in_title:
            self.title.append(data)
        elif self.data_text is not None:
            self.data_text.append(data)
        elif not self._aside() and JAPANESE.search(data):
            self.found.append((self._where(), squash(data)))


class KnownData:
    """Japanese strings known to be data, to set aside inside a text that cannot mark them: each
    occurrence, the longest first."""

    def __init__(self, texts=()):
        self.by_start: dict[str, list[str]] = {}
        for text in {squash(str(t)) for t in texts if t and JAPANESE.search(str(t))}:
            self.by_start.setdefault(text[:1], []).append(text)
        for candidates in self.by_start.values():
            candidates.sort(key=len, reverse=True)

    def holds(self, text: str) -> bool:
        """Whether ``text`` is a piece of one of the strings (a list shows a long text cut short, a
        form one line of it)."""
        text = squash(text).rstrip("…").strip()
        # Long enough not to be an interface word that some stored text happens to contain.
        return len(text) >= 6 and any(text in known for candidates in self.by_start.values() for known in candidates)

    def strip(self, text: str) -> str:
        text, kept, index = squash(text), [], 0
        while index < len(text):
            match = next((c for c in self.by_start.get(text[index], ()) if text.startswith(c, index)), None)
            if match:
                kept.append(" ")
                index += len(match)
            else:
                kept.append(text[index])
                index += 1
        return "".join(kept)


def japanese_in(html: str, database: KnownData | None = None) -> list[str]:
    """The Japanese fragments of a page's interface, each with where it is ("div > p > span: 保存").

    ``database``: strings stored in the database, set aside wherever they are (the Django admin's
    own templates show them without lang="ja")."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    # The window title and the attributes cannot carry lang="ja" for a part: there, the Japanese
    # data that the page itself shows in a lang="ja" element is set aside, the longest first.
    known = KnownData(reader.japanese_data)

    def rest(text: str) -> str:
        stripped = known.strip(text)
        if database:
            stripped = database.strip(stripped)
            if JAPANESE.search(stripped) and database.holds(text):
                return ""
        return stripped

    found = [f"{where}: {text!r}" for where, text in reader.found if not database or JAPANESE.search(rest(text))]
    found += [f"{where}: {value!r}" for where, value in reader.attributes if JAPANESE.search(rest(value))]
    title = "".join(reader.title)
    if JAPANESE.search(rest(title)):
        found.append(f"title: {squash(title)!r}")
    if reader.html_lang != "en":
        found.append(f'<html lang="{reader.html_lang}">, not lang="en"')
    return found


def test_the_check_finds_japanese_outside_lang_ja_and_nothing_inside():
    page = """<!doctype html><html lang="en"><head><title>美里町 | Assessment</title>
      <style>p::after { content: "・" }</style><script>const label = "保存";</script></head>
      <body><h1>Project <span lang="ja">美里町 こどもデータ連携実証事業</span></h1>
      <p lang="ja">住民の説明<b>です</b><br>まだ日本語<p>Interface （full-width）</p>
      <button type="submit" value="送る">Send</button><input type="submit" value="送信">
      <input type="hidden" name="next" value="/projects/?q=美里"><input type="text" value="住民のメモ">
      <a href="#" aria-label="Delete 美里町 こどもデータ連携実証事業">x</a><img alt="図" src="x.png">
      <select><option lang="ja">美里町</option><option>Choose</option></select>
      <ul><li lang="ja">一<li>二</ul><template><span title="説明">?</span></template>
      <textarea aria-label="メモ">住民が書いた文</textarea></body></html>"""
    assert japanese_in(page) == [
        "html > body > p: 'Interface （full-width）'",
        "body > ul > li: '二'",
        "html > body > button [value]: '送る'",
        "html > body > input [value]: '送信'",
        "html > body > img [alt]: '図'",
        "html > body > template > span [title]: '説明'",
        "html > body > textarea [aria-label]: 'メモ'",
    ]
    assert japanese_in(page.replace("| Assessment", "| 評価"))[-1] == "title: '美里町 | 評価'"
    assert japanese_in('<html lang="ja"><body>x</body></html>') == ['<html lang="ja">, not lang="en"']
    assert japanese_in('<html lang="en"><body><p>Text</p></body></html>') == []


def test_the_check_sets_aside_only_known_data_where_nothing_can_be_marked():
    page = """<html lang="en"><head><title>{title} | Municipality</title></head><body>
      <h1 lang="ja">美里町</h1><svg><title>Amounts</title><desc>{desc}</desc><text lang="ja">美里町</text></svg>
      <table><tr><td>{cell}</td></tr></table></body></html>"""
    clean = page.format(title="美里町", desc="美里町 1,924 thousand yen", cell="Misato")
    assert japanese_in(clean) == []
    assert japanese_in(page.format(title="美里町", desc="美里町 1,924千円", cell="Misato")) == [
        "body > svg > desc: '美里町 1,924千円'"]
    assert japanese_in(page.format(title="町の一覧", desc="", cell="Misato")) == ["title: '町の一覧 | Municipality'"]
    # The admin: what the database holds (a list cuts a long text short) is data, the rest is not.
    admin = page.format(title="美里町", desc="", cell="こどもデータ連携実証事業の評価は")
    database = KnownData(["こどもデータ連携実証事業の評価は住民が行う", "保存"])
    assert japanese_in(admin, database) == []
    assert japanese_in(page.format(title="美里町", desc="", cell="保存する"), database) == [
        "table > tr > td: '保存する'"]


def report(found: dict[str, list[str]]) -> str:
    lines = []
    for url, fragments in found.items():
        lines.append(f"{url} ({len(fragments)}):")
        lines += [f"    {fragment}" for fragment in fragments]
    return "Japanese in the English interface (or an attribute cut short, or naming no id):\n" + "\n".join(lines)


def check(client, urls, *, status=200, follow=False) -> dict[str, list[str]]:
    """GET each of ``urls`` in English (status: the one each must answer with; None: any but a
    server error or a redirect); the Japanese of each page, by address."""
    found = {}
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en", follow=follow)
        if status is None:
            assert response.status_code < 300 or 400 <= response.status_code < 500, (url, response.status_code)
        else:
            assert response.status_code == status, (url, response.status_code)
        found.update(page_problems(url, response))
    return found


# The names of attributes the pages have (data-*, aria-*, the admin's xlink:href). Anything else in a start tag is a
# value cut short: a quote inside it that was not escaped, e.g. an English translation with "Undo"
# put into data-saved-text="…" by {% translate %}, which does not escape.
ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9:-]*\Z")


# Attributes that name other elements of the page by their id: a label's control, the message or the
# heading that a screen reader reads with a control, what a button opens, a control's form.
ID_REFERENCES = ("for", "aria-describedby", "aria-labelledby", "aria-controls", "aria-errormessage", "aria-owns",
                 "aria-activedescendant", "aria-details", "list", "form")


class _AttributeReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.broken: list[str] = []
        self.ids: set[str] = set()
        self.references: list[tuple[str, str, str]] = []  # (where, attribute, id)
        self.in_template = 0  # a <template>'s copies get their ids where they are put

    def handle_starttag(self, tag, attrs):
        where = f"<{tag}" + "".join(f' {name}="{value}"' for name, value in attrs if name in ("id", "class")) + ">"
        names = [name for name, _value in attrs if not ATTRIBUTE_NAME.match(name)]
        if names:
            self.broken.append(f"{where}: an attribute cut short, it goes on as {' '.join(names)!r}")
        if tag == "template":
            self.in_template += 1
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if not self.in_template:
            self.references += [(where, name, id_) for name in ID_REFERENCES for id_ in (values.get(name) or "").split()]

    def handle_endtag(self, tag):
        if tag == "template" and self.in_template:
            self.in_template -= 1


def broken_attributes(html: str, *, references: bool = True) -> list[str]:
    """Start tags whose attributes were cut short by a quote in a value, and (with ``references``)
    attributes naming an id that no element of the page has: a label for nothing, a message that a
    screen reader cannot find."""
    reader = _AttributeReader()
    reader.feed(html)
    reader.close()
    return reader.broken + [f"{where}: {name}={id_!r}, no element has that id"
                            for where, name, id_ in reader.references if references and id_ not in reader.ids]


def test_the_check_finds_an_attribute_cut_short_by_a_quote():
    assert broken_attributes('<p class="x" data-saved-text="Deleted (use "Undo" to restore it; it goes)">a</p>') == [
        '<p class="x">: an attribute cut short, it goes on as \'undo" it; goes)"\'']
    assert broken_attributes(
        '<p data-saved-text="Deleted (use &quot;Undo&quot;)" aria-label=\'a "b"\' hidden data-x>a</p>') == []


def test_the_check_finds_a_reference_to_an_id_that_is_not_there():
    page = """<form id="f"><label for="name">Name</label><input id="name" aria-describedby="name-error hint">
      <p id="hint">Hint</p><select id="s" aria-describedby="s_error"></select><div id="s-error">!</div>
      <button form="f" aria-controls="menu">Menu</button>
      <template><label for="copy">Copy</label></template></form>"""
    assert broken_attributes(page) == [
        "<input id=\"name\">: aria-describedby='name-error', no element has that id",
        "<select id=\"s\">: aria-describedby='s_error', no element has that id",
        "<button>: aria-controls='menu', no element has that id",
    ]


def page_problems(url: str, response, database: KnownData | None = None) -> dict[str, list[str]]:
    """The Japanese of the page's interface, the attributes cut short and the references to no id."""
    html = response.content.decode()
    # The admin's own pages are Django's: its tabular inlines and its password field name help-text
    # ids (…_helptext) that they show otherwise (an icon's title) or not at all.
    fragments = japanese_in(html, database) + broken_attributes(html, references=not url.startswith("/admin/"))
    return {url: fragments} if fragments else {}


def assert_english(found: dict[str, list[str]]) -> None:
    assert not found, report(found)


# --- The cast and data of the pages -------------------------------------------------------------------


@pytest.fixture
def en(client):
    """The test client as a browser that prefers English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def world(catalogue, published_set, bob, alice, charlie):
    """The demonstration assessment (answered in full, with an inventory, risks and an action plan)
    in bob's group, a published copy, requests with a reply, a reviewer with an opinion and a
    comment, a re-assessment of it, and a group with a waiting invitation."""
    from assessments import reviewing, seed as seeding
    from assessments.demo import create_demo_assessment
    from assessments.groups import token_hash
    from assessments.models import Assessment, Invitation, Membership, Organisation, Question
    from assessments.municipality_requests import reply_record, request_create

    seeding.seed_disclosure_limits(seeding.SeedReport())
    demo = create_demo_assessment()
    Assessment.objects.filter(pk=demo.pk).update(owner=bob)
    Membership.objects.create(organisation=demo.organisation, user=bob, role="owner")
    published = create_demo_assessment()
    Assessment.objects.filter(pk=published.pk).update(status=Assessment.Status.PUBLISHED)
    Membership.objects.get_or_create(organisation=published.organisation, user=bob, defaults={"role": "owner"})
    day = datetime.date(2026, 4, 28)
    requests = {}
    for assessment in (demo, published):
        requests[assessment.pk] = [
            request_create(assessment=assessment, user=bob, values={
                "kind": kind, "title": title, "sent_on": day, "published": True,
                "reply_by": datetime.date(2026, 5, 20) if kind == "letter" else None},
                questions=[(None, "住民への説明はいつ行いましたか。（架空）")], documents=["委託契約書（架空）"], today=day)
            for kind, title in (("letter", "質問書（架空）"), ("disclosure", "情報公開請求（架空）"))
        ]
        disclosure = requests[assessment.pk][1]
        reply_record(request=disclosure, user=bob, received_on=datetime.date(2026, 5, 12), text="不開示とする。（架空）",
                     item_ids=[], documents=[{"title": "決定通知書（架空）", "page": "1", "date": None, "url": ""}],
                     state="refused", updates=[], base_version=disclosure.version, today=datetime.date(2026, 5, 12))
    # A reviewer (charlie) with an overall opinion, and a comment on a question.
    reviewing.reviewer_add(assessment=demo, username=charlie.username, kind="resident")
    reviewing.opinion_save(assessment=demo, user=charlie, section=None, verdict="appropriate", text="説明は十分です。")
    question = Question.objects.get(question_set=demo.question_set, key="a-public-comment")
    reviewing.comment_add(assessment=demo, user=charlie, question=question, text="根拠の資料を確認しました。", parent=None)
    # A group with a member and a waiting invitation.
    group = Organisation.objects.create(name="英語確認の会", description="説明の文")
    own = Membership.objects.create(organisation=group, user=bob, role="owner")
    Membership.objects.create(organisation=group, user=charlie, role="editor")
    token = "english-check-token-0123456789abcdef"
    Invitation.objects.create(organisation=group, email="x@example.org", role="viewer", token_hash=token_hash(token),
                              invited_by=bob)
    return {"demo": demo, "published": published, "requests": requests, "group": group, "own": own,
            "token": token, "question": question}


# --- 1b. The pages ------------------------------------------------------------------------------------


def test_the_public_pages_are_english(en, world, published_set):
    from assessments.models import QuestionSet

    published = world["published"]
    urls = [reverse(name) for name in ("home", "project_list", "topic_list", "dashboard", "public_list",
                                       "questionset_list", "login", "signup", "password_reset",
                                       "password_reset_done", "password_reset_complete")]
    urls += [reverse("project_list") + "?q=LINE", reverse("project_list") + "?q=no-such-project-at-all",
             reverse("project_list") + "?category=1&min_amount=100&max_amount=1000000",
             reverse("project_detail", args=["case-toda-kyoiku-db"]),
             reverse("project_detail", args=["case-misato-kodomo-data"]),
             reverse("project_detail", args=["r4h2-type1-06"]),
             reverse("assessment_start", args=["case-misato-kodomo-data"]),  # 「アカウントが要ります」
             reverse("invitation", args=[world["token"]]),
             reverse("invitation", args=["no-such-invitation-token-0123456789"]),
             reverse("password_reset_confirm", args=["MQ", "no-such-token"]),
             reverse("email_confirm", args=["MQ", "no-such-token"])]
    urls += [reverse("questionset_detail", args=[qs.key, qs.version])
             for qs in QuestionSet.objects.filter(status="published")]
    urls += [reverse("compare"), reverse("compare") + f"?category={world['demo'].project.categories.first().pk}"]
    found = check(en, urls, status=None)
    assert_english(found)


def test_the_public_page_of_an_assessment_is_english(en, world):
    """The published assessment's page: its own words (answers, the question set's, the plain-Japanese
    summary) are lang="ja", the rest is English."""
    assert_english(check(en, [reverse("public_assessment", args=[world["published"].pk])]))


def assessment_urls(assessment, *, requests=()) -> list[str]:
    """The pages of one assessment that its owner opens."""
    pk = assessment.pk
    urls = [reverse(name, args=[pk]) for name in (
        "assessment_summary", "risk_list", "risk_new", "request_list", "request_new", "action_plan", "action_new",
        "assessment_review", "letter_settings", "inventory_import", "reassessment_start")]
    urls += [reverse("assessment_section", args=[pk, section.key]) for section in assessment.question_set.sections.all()]
    for risk in assessment.risks.order_by("pk"):
        urls += [reverse("risk_edit", args=[pk, risk.pk]), reverse("risk_delete", args=[pk, risk.pk]),
                 reverse("action_new", args=[pk]) + f"?risk={risk.pk}"]
    for action in assessment.planned_actions.order_by("pk"):
        urls += [reverse("action_detail", args=[pk, action.pk]), reverse("action_edit", args=[pk, action.pk]),
                 reverse("action_delete", args=[pk, action.pk])]
    urls += [reverse("request_detail", args=[pk, r.pk]) for r in requests]
    urls += [reverse("action_new", args=[pk]) + "?from=d-deletion-at-end",
             reverse("request_new", args=[pk]) + "?from=letter",
             reverse("answer_history", args=[pk, "a-public-comment"]),
             reverse("answer_history", args=[pk, "b-inventory"]),
             reverse("answer_history", args=[pk, "d-contract-document"])]
    return urls


def test_the_pages_of_an_assessment_are_english(en, world, bob):
    demo = world["demo"]
    en.force_login(bob)
    urls = assessment_urls(demo, requests=world["requests"][demo.pk])
    urls += [reverse("assessment_list"), reverse("my_requests"), reverse("compare"), reverse("dashboard"),
             reverse("compare") + f"?category={demo.project.categories.first().pk}",
             reverse("project_detail", args=[demo.project.key]),
             reverse("assessment_delete", args=[demo.pk]),
             reverse("assessment_start", args=["case-toda-kyoiku-db"]),
             reverse("assessment_review", args=[world["published"].pk])]
    found = check(en, urls)
    found.update(check(en, [reverse("assessment_detail", args=[demo.pk])], follow=True))
    assert_english(found)


def test_the_reassessment_pages_are_english(en, world, bob):
    """A re-assessment of the demonstration: what carried over, the comparison (all questions and
    the changed ones only), its summary and a section with answers marked as carried over."""
    from assessments.models import Assessment

    demo = world["demo"]
    en.force_login(bob)
    start = reverse("reassessment_start", args=[demo.pk])
    response = en.post(start, read_form(en.get(start).content.decode(), "reassessment-form"))
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Assessment.objects.get(previous=demo)
    first = new.question_set.sections.order_by("position").first()
    urls = [reverse("reassessment_result", args=[new.pk]), reverse("reassessment_compare", args=[new.pk]),
            reverse("reassessment_compare", args=[new.pk]) + "?only=changes", reverse("assessment_summary", args=[new.pk]),
            reverse("assessment_section", args=[new.pk, first.key]),
            reverse("assessment_section", args=[new.pk, "b"]), reverse("answer_history", args=[new.pk, "a-public-comment"])]
    assert_english(check(en, urls))


def test_the_group_and_account_pages_are_english(en, world, bob, charlie):
    group, own = world["group"], world["own"]
    en.force_login(bob)
    urls = [reverse("organisation_list"), reverse("organisation_create"),
            reverse("organisation_detail", args=[group.pk]), reverse("organisation_leave", args=[group.pk]),
            reverse("membership_remove", args=[group.pk, own.pk]), reverse("account_settings"),
            reverse("account_delete"), reverse("password_change"), reverse("password_change_done"),
            reverse("invitation", args=[world["token"]])]  # for bob: already a member
    found = check(en, urls)
    en.force_login(charlie)  # a member of the group (editor) and the demo's reviewer
    urls = [reverse("invitation", args=[world["token"]]), reverse("organisation_detail", args=[group.pk]),
            reverse("assessment_review", args=[world["demo"].pk]),
            reverse("assessment_section", args=[world["demo"].pk, "a"])]
    found.update(check(en, urls))
    assert_english(found)


def test_the_staff_notice_and_the_pages_a_staff_member_opens_are_english(en, world, alice):
    en.force_login(alice)
    demo = world["demo"]
    found = check(en, [reverse("assessment_summary", args=[demo.pk]), reverse("assessment_review", args=[demo.pk]),
                       reverse("action_plan", args=[demo.pk]), reverse("request_list", args=[demo.pk])])
    assert_english(found)


def admin_urls() -> list[str]:
    """The admin's index, and for each of the app's models (and the users, with their profile) the
    list, the add form where one may add, and the change form of its first object."""
    from django.contrib import admin

    urls = [reverse("admin:index"), reverse("admin:app_list", args=["assessments"])]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if meta.app_label not in ("assessments", "auth"):
            continue
        name = f"admin:{meta.app_label}_{meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        urls.append(reverse(f"{name}_add"))
        first = model.objects.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{name}_change", args=[first.pk]))
    return urls


def database_strings() -> KnownData:
    """Every text stored in the database (and each admin-listed object as the admin names it): the
    admin's own templates (lists, forms, selects, breadcrumbs) show them unmarked."""
    from django.apps import apps
    from django.contrib import admin
    from django.db import models

    def leaves(value):
        if isinstance(value, str):
            yield value
            yield from value.splitlines()  # a text's lines, shown one by one
        elif isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from leaves(item)

    texts = []
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField, models.JSONField))]
        for row in model.objects.values_list(*fields) if fields else ():
            for value in row:
                texts.extend(leaves(value))
    for model in admin.site._registry:
        texts.extend(str(obj) for obj in model.objects.all()[:2000])
    return KnownData(texts)


def test_the_admin_is_english(en, world, alice):
    """The admin's index, lists and forms: Django's own words are English; dxpia's (labels, help,
    headings, messages, its own templates) must be too. What the database holds is data."""
    from assessments.models import QuestionSet

    en.force_login(alice)
    qs = QuestionSet.objects.order_by("-version").first()
    urls = admin_urls() + [reverse("admin:assessments_questionset_preview", args=[qs.pk]),
                           reverse("admin:assessments_project_import")]
    database = database_strings()
    found = {}
    for url in urls:
        response = en.get(url)
        assert response.status_code in (200, 403), (url, response.status_code)
        if response.status_code == 200:
            found.update(page_problems(url, response, database))
    assert_english(found)


def test_forms_with_errors_say_so_in_english(en, world, bob):
    """Invalid forms, posted: the page with the errors beside the fields, in English."""
    demo = world["demo"]
    pk = demo.pk
    action = demo.planned_actions.order_by("pk").first()
    risk = demo.risks.order_by("pk").first()
    posts = [
        (reverse("signup"), {"display_name": "", "username": "bad name!", "email": "not-an-address",
                             "password1": "short", "password2": "other"}),
        (reverse("login"), {"username": "bob", "password": "wrong password"}),
        (reverse("password_reset"), {"email": "not-an-address"}),
    ]
    found = {}
    for url, data in posts:
        response = en.post(url, data)
        assert response.status_code in (200, 400), (url, response.status_code)
        found.update(page_problems(f"POST {url}", response))
    en.force_login(bob)
    posts = [
        (reverse("assessment_start", args=["case-toda-kyoiku-db"]), {"title": "", "standpoint": "nobody"}),
        (reverse("request_new", args=[pk]), {"kind": "letter", "title": "", "addressed_to": "mayor",
                                              "sent_on": "2026-02-30", "method": "post", "version": "0",
                                              "received_on": "2020-01-01", "reply_by": "someday"}),
        (reverse("action_new", args=[pk]), {"title": "", "responsible": "department", "due_on": "2026-02-30",
                                             "version": "0"}),
        (reverse("action_edit", args=[pk, action.pk]), {"title": "", "responsible": "nobody", "version": "0"}),
        (reverse("risk_new", args=[pk]), {"title": "", "severity": "9", "likelihood": "", "version": "0"}),
        (reverse("risk_edit", args=[pk, risk.pk]), {"title": "", "severity": "", "version": str(risk.version)}),
        (reverse("letter_settings", args=[pk]), {"form": "nothing", "reply_by": "2020-13-01"}),
        (reverse("organisation_create"), {"name": "", "description": ""}),
        (reverse("account_settings"), {"display_name": "", "email": "not-an-address", "language": "xx"}),
        (reverse("account_delete"), {"password": "wrong password"}),
        (reverse("password_change"), {"old_password": "wrong", "new_password1": "a", "new_password2": "b"}),
        (reverse("inventory_import", args=[pk]), {"mode": "append"}),
        (reverse("reassessment_start", args=[pk]), {"title": "", "standpoint": "nobody"}),
    ]
    # The inventory with a refused choice and a row without a name.
    inventory = reverse("assessment_section", args=[pk, "b"])
    data = read_form(en.get(inventory).content.decode())
    rows = int(data["inv-TOTAL_FORMS"])
    data.update({"inv-0-children": "maybe", "inv-TOTAL_FORMS": str(rows + 1), f"inv-{rows}-purpose": "Purpose only",
                 f"inv-{rows}-sensitive": "unknown", f"inv-{rows}-children": "unknown",
                 f"inv-{rows}-shared_with_vendor": "unknown", "goto": "b"})
    posts.append((inventory, data))
    # A date and a number that cannot be read, and a source with a date that does not exist.
    for key, changes in (("a", {"q-a-public-comment-date": "2026-02-30", "ev-a-public-comment-0-title": "Minutes",
                                "ev-a-public-comment-0-date": "2026-13-01"}),
                         ("g", {"q-g-total-cost": "a lot"})):
        section = reverse("assessment_section", args=[pk, key])
        posts.append((section, {**read_form(en.get(section).content.decode()), **changes, "goto": key}))
    for url, data in posts:
        response = en.post(url, data)
        assert response.status_code in (200, 400, 409), (url, response.status_code)
        assert b"is-invalid" in response.content or b"errorlist" in response.content or b"alert-danger" in response.content, url
        found.update(page_problems(f"POST {url}", response))
    assert_english(found)


def test_an_imported_inventory_file_is_previewed_in_english(en, world, bob):
    """The import preview of a good file and of a file with a bad line: the file's own text is
    data (lang="ja"), the rest English."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    en.force_login(bob)
    url = reverse("inventory_import", args=[world["demo"].pk])
    found = {}
    for name, text in (("good", "データ項目,要配慮個人情報\n家庭訪問記録（架空の例）,はい\n"),
                       ("bad", "データ項目,要配慮個人情報\n家庭訪問記録（架空の例）,たぶん\n")):
        upload = SimpleUploadedFile(f"{name}.csv", text.encode("utf-8"), content_type="text/csv")
        response = en.post(url, {"file": upload, "mode": "append"})
        assert response.status_code in (200, 400), response.status_code
        assert b"import-lines" in response.content or b"errorlist" in response.content
        found.update(page_problems(f"POST {url} ({name} file)", response))
    assert_english(found)


def test_the_error_pages_are_english(en, world, bob, charlie):
    from django.test import Client

    demo = world["demo"]
    found = check(en, ["/no-such-page/", reverse("project_detail", args=["no-such-project"]),
                       reverse("questionset_detail", args=["no-such-set", 1])], status=404)
    found.update(check(en, [reverse("email_confirm", args=["MQ", "no-such-token"])], status=400))
    en.force_login(charlie)  # an outsider to bob's second assessment (no seat, no membership)
    outsider = world["published"]
    found.update(check(en, [reverse("risk_list", args=[outsider.pk]), reverse("action_new", args=[outsider.pk])],
                       status=None))
    unconfirmed = bob.profile
    unconfirmed.email_confirmed_at = None
    unconfirmed.save()
    en.force_login(bob)  # not yet confirmed: may not start an assessment
    found.update(check(en, [reverse("assessment_start", args=["case-toda-kyoiku-db"]),
                            reverse("reassessment_start", args=[demo.pk])], status=403))
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")  # a form without its token
    response = strict.post(reverse("switch_language"), {"language": "en", "next": "/"})
    assert response.status_code == 403
    found.update(page_problems("POST /language/ without the CSRF token", response))
    assert_english(found)


def test_the_rarely_reached_pages_and_the_messages_are_english(en, world, bob):
    """Pages reached only after many failures (the lock-out, the rate limit), the new password form
    of a valid reset link, and the messages that follow an action."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.tokens import default_token_generator
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    found = {}
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en")
    request.user = AnonymousUser()
    with translation.override("en"):
        for template in ("registration/locked_out.html", "registration/rate_limited.html"):
            html = render_to_string(template, {"next": "/"}, request=request)
            if japanese_in(html):
                found[template] = japanese_in(html)
    link = reverse("password_reset_confirm", args=[urlsafe_base64_encode(force_bytes(bob.pk)),
                                                   default_token_generator.make_token(bob)])
    found.update(check(en, [link], follow=True))
    en.force_login(bob)
    for url, data in ((reverse("account_settings"), {"display_name": "bob", "email": "bob@example.org", "language": "en"}),
                      (reverse("switch_language"), {"language": "xx", "next": reverse("home")}),
                      (reverse("organisation_create"), {"name": "Friends of Misato", "description": ""})):
        response = en.post(url, data, follow=True)
        assert response.status_code == 200 and b'role="status"' in response.content, url
        found.update(page_problems(f"POST {url}, then the page with its message", response))
    assert_english(found)


def test_the_report_and_the_letter_stay_japanese_and_say_so(en, world, bob):
    """The documents are in the question set's language whatever the interface's: lang="ja"."""
    en.force_login(bob)
    for name in ("report_preview", "letter_preview"):
        html = en.get(reverse(name, args=[world["demo"].pk])).content.decode()
        assert re.search(r'<html lang="ja">', html), name


def test_the_language_switch_keeps_english_from_page_to_page(client, world):
    response = client.post(reverse("switch_language"), {"language": "en", "next": reverse("project_list")})
    assert response.status_code == 302 and response["Location"] == reverse("project_list")
    found = {}
    for url in (reverse("home"), reverse("public_list")):
        response = client.get(url)  # no Accept-Language: the session's choice
        found.update(page_problems(url, response))
    assert_english(found)
    html = client.get(reverse("home")).content.decode()
    assert re.search(r'<button[^>]*value="ja"[^>]*lang="ja"[^>]*>日本語</button>', html)


# --- The e-mails --------------------------------------------------------------------------------------


def japanese_in_mail(subject: str, body: str, data) -> list[str]:
    """The lines of a mail with Japanese once the Japanese ``data`` it quotes (names, titles) is set
    aside, the longest first: a plain-text mail cannot mark it."""
    known = sorted({squash(str(text)) for text in data if text}, key=len, reverse=True)
    found = []
    for line in [subject, *body.splitlines()]:
        rest = squash(line)
        for text in known:
            rest = rest.replace(text, " ")
        if JAPANESE.search(rest):
            found.append(repr(squash(line)))
    return found


def test_the_mails_are_english(en, world, bob, mailoutbox):
    from assessments import plan_clock, plan_reminders, request_reminders
    from assessments.models import MunicipalityRequest

    demo = world["demo"]
    project = demo.project
    data = [demo.title, project.title, project.municipality.name, str(project), world["group"].name, "山田花子"]
    # The sign-up confirmation, the invitation and the password reset, asked for in English.
    response = en.post(reverse("signup"), {"display_name": "山田花子", "username": "hanako", "email": "hanako@example.org",
                                           "password1": "correct horse battery staple 43",
                                           "password2": "correct horse battery staple 43"})
    assert response.status_code == 302, response.content.decode()[:2000]
    en.force_login(bob)
    response = en.post(reverse("invitation_create", args=[world["group"].pk]), {"email": "new@example.org", "role": "editor"})
    assert response.status_code == 302
    en.logout()
    response = en.post(reverse("password_reset"), {"email": "bob@example.org"})
    assert response.status_code == 302
    mails = {f"mail {mail.subject!r}": (mail.subject, mail.body) for mail in mailoutbox}
    assert len(mails) == 3, list(mails)
    # The reminders (sent by manage.py send_reminders), made with English active.
    today = datetime.date(2026, 5, 15)
    letter = MunicipalityRequest.objects.filter(assessment=demo, kind="letter").first()
    action = demo.planned_actions.exclude(due_on=None).order_by("pk").first() or demo.planned_actions.order_by("pk").first()
    if action.due_on is None:
        action.due_on = datetime.date(2026, 5, 20)
    data += [letter.title, action.title, action.responsible_name]
    clock = plan_clock.review_clock(approved_on=datetime.date(2025, 5, 1), published_on=None, chosen_review_on=None,
                                    review_months=12, reassess_years=3)
    with translation.override("en"):
        made = {
            "request reminder, a week before": request_reminders.message(letter, "week_before", today),
            "request reminder, overdue": request_reminders.message(letter, "overdue", datetime.date(2026, 6, 30)),
            "action reminder, a week before": plan_reminders.action_message(action, "action_week_before", action.due_on),
            "action reminder, overdue": plan_reminders.action_message(
                action, "action_overdue", action.due_on + datetime.timedelta(days=3)),
            "review reminder": plan_reminders.review_message(demo, clock, datetime.date(2026, 5, 1)),
        }
    mails.update(made)
    found = {}
    for name, (subject, body) in mails.items():
        assert body.strip(), name
        fragments = japanese_in_mail(subject, body, data)
        if fragments:
            found[name] = fragments
    assert_english(found)


def test_the_language_setting_names_each_language_in_itself(bob_client):
    """The account settings' choice showed English as 「英語(米国)」 in the Japanese interface; the
    menu's switch names it "English"."""
    page = bob_client.get(reverse("account_settings")).content.decode()
    select = re.search(r'<select[^>]*name="language"[^>]*>(.*?)</select>', page, re.S)[1]
    assert ">English</option>" in select and ">日本語</option>" in select and "英語" not in select
