"""Charts and documents as everyone can read them (WCAG 2.1 AA / JIS X 8341-3, "every page accessible"):
each colour of a chart's data marks has 3:1 against white (1.4.11, non-text contrast; touching
segments are parted by white), the dashboard's 自治体 × 分類 chart has a table with the same numbers
in a focusable scroll region (1.1.1, 2.1.1), and the report and letter previews have one <main>
landmark (1.3.1)."""

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.db.models import Count
from django.urls import reverse

from assessments.answer_saving import assessment_create
from assessments.models import Project
from assessments.reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour (#rgb or #rrggbb)."""
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str = "#ffffff") -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def seen_on_white(colour: str, opacity: float) -> str:
    """The colour a translucent fill shows on white."""
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return "#" + "".join(f"{round(opacity * int(value[i:i + 2], 16) + (1 - opacity) * 255):02x}" for i in (0, 2, 4))


def marks(svg: str) -> list[ET.Element]:
    """The data marks of a chart: its filled shapes (bars, segments, legend swatches, circles)."""
    root = ET.fromstring(str(svg))
    return [e for e in root.iter() if e.tag in (f"{SVG}rect", f"{SVG}circle", f"{SVG}path", f"{SVG}polygon")]


def every_chart() -> dict[str, str]:
    """Each chart function with data that uses every colour it has."""
    levels = ["良好", "一部に課題", "重大な課題", "深刻な懸念", "判定保留", "その他"]
    return {
        "bar_chart (percent)": charts.bar_chart(
            [("良好", 95), ("一部に課題", 65), ("重大な課題", 45), ("深刻な懸念", 20), ("判定保留", 70), ("なし", None)],
            title="得点率", description="…", colours=charts.level_colours(5) + [charts.QUANTITY],
            gridlines=(0, 40, 60, 80, 100), legend=list(zip(levels[:5], charts.level_colours(5)))),
        "bar_chart (amounts)": charts.bar_chart(
            [("さいたま市", 1924), ("所沢市", None)], title="採択額", description="…", maximum=1924,
            value_format=lambda value: f"{value:g}千円", none_label="不明"),
        "matrix_chart": charts.matrix_chart(
            [("美里町", [1, 0, 3]), ("川島町", [0, 12, 1])], ["教育", "防災", "こども・子育て"],
            title="自治体 × 分類", description="…"),
        "stacked_chart": charts.stacked_chart(
            [("教育", [1, 2, 3, 1, 2, 1]), ("防災", [0, 1, 0, 1, 0, 0]), ("空", [0] * 6)], levels,
            title="評価レベル", description="…"),
    }


def test_the_wcag_formula_gives_the_known_ratios():
    assert contrast("#000") == pytest.approx(21)
    assert contrast("#fff") == pytest.approx(1)
    assert contrast("#777777") == pytest.approx(4.48, abs=0.01)
    assert contrast("#f9a825") < 3  # the amber the bars had before: 1.97:1


@pytest.mark.parametrize("name", list(every_chart()))
def test_every_colour_of_a_data_mark_has_3_to_1_against_white(name):
    svg = every_chart()[name]
    shapes = marks(svg)
    assert shapes, name
    colours = set()
    for shape in shapes:
        fill = shape.get("fill")
        assert fill and re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", fill), (name, ET.tostring(shape))
        opacity = float(shape.get("fill-opacity", 1)) * float(shape.get("opacity", 1))
        colours.add(seen_on_white(fill, opacity))
    low = {colour: round(contrast(colour), 2) for colour in colours if contrast(colour) < 3}
    assert low == {}, f"{name}: under 3:1 against white: {low}"


def test_the_percent_bars_have_a_distinct_colour_for_each_level_and_its_legend():
    shapes = marks(every_chart()["bar_chart (percent)"])
    swatches, bars = shapes[:5], shapes[5:]
    assert len({bar.get("fill") for bar in bars}) == 5
    assert [swatch.get("fill") for swatch in swatches] == [bar.get("fill") for bar in bars]


def test_the_white_count_on_a_matrix_circle_is_legible():
    root = ET.fromstring(str(every_chart()["matrix_chart"]))
    circles = list(root.iter(f"{SVG}circle"))
    counts = [t for t in root.iter(f"{SVG}text") if t.get("fill") == "#fff"]
    assert len(circles) == len(counts) == 4
    for circle in circles:
        seen = seen_on_white(circle.get("fill"), float(circle.get("fill-opacity", 1)))
        assert contrast(seen, "#fff") >= 4.5, seen  # text, 1.4.3


def test_touching_segments_of_a_stacked_bar_are_parted_by_white():
    svg = charts.stacked_chart([("教育", [1, 2, 3, 1, 2, 1]), ("防災", [2, 0, 0, 1, 0, 0])],
                               ["良好", "一部に課題", "重大な課題", "深刻な懸念", "判定保留", "その他"],
                               title="評価レベル", description="…")
    rows: dict[str, list[tuple[float, float]]] = {}
    for rect in marks(svg):
        if rect.get("height") != "10":  # not a legend swatch
            rows.setdefault(rect.get("y"), []).append((float(rect.get("x")), float(rect.get("width"))))
    assert sorted(len(segments) for segments in rows.values()) == [2, 6]
    for segments in rows.values():
        for (x, width), (next_x, _next_width) in zip(segments, segments[1:]):
            assert next_x - (x + width) >= 1, segments  # a white gap of at least a pixel


class Tables(HTMLParser):
    """The cells of each <table> by id, and the attributes of the elements around each table."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, dict, str]]]] = {}
        self.wrappers: dict[str, list[dict]] = {}
        self.open: list[tuple[str, dict]] = []
        self.current = None
        self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self.current = self.tables.setdefault(attrs["id"], [])
            self.wrappers[attrs["id"]] = [a for _t, a in self.open]
        elif self.current is not None and tag == "tr":
            self.current.append([])
        elif self.current is not None and tag in ("th", "td"):
            self.cell = [tag, attrs, ""]
        elif self.current is not None and tag == "caption":
            self.cell = ["caption", attrs, ""]
        if tag not in ("br", "img", "input", "meta", "link", "hr"):
            self.open.append((tag, attrs))

    def handle_endtag(self, tag):
        if self.cell is not None and tag == self.cell[0]:
            if tag == "caption":
                self.current.append([("caption", self.cell[1], self.cell[2].strip())])
            else:
                self.current[-1].append((self.cell[0], self.cell[1], self.cell[2].strip()))
            self.cell = None
        if tag == "table":
            self.current = None
        if any(open_tag == tag for open_tag, _a in self.open):
            while self.open.pop()[0] != tag:
                pass

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data


def matrix_of_the_chart(page: str) -> dict[tuple[str, str], int]:
    """(municipality, category) -> count, read from the circles of the 自治体 × 分類 chart."""
    svg = re.search(r'<svg[^>]*aria-labelledby="matrix-title matrix-desc">.*?</svg>', page, re.S).group(0)
    root = ET.fromstring(svg)
    texts = list(root.iter(f"{SVG}text"))
    columns = {t.get("x"): t.text for t in texts if t.get("transform")}
    rows = {round(float(t.get("y")) - 0.5, 1): t.text for t in texts if t.get("text-anchor") == "end"}
    return {(rows[round(float(t.get("y")), 1)], columns[t.get("x")]): int(t.text)
            for t in texts if t.get("fill") == "#fff"}


@pytest.mark.django_db
def test_the_matrix_chart_has_a_table_with_the_same_numbers_in_a_focusable_region(client, catalogue):
    page = client.get(reverse("dashboard")).content.decode()
    parser = Tables()
    parser.feed(page)
    assert "matrix-table" in parser.tables
    caption, header, *body = parser.tables["matrix-table"]
    assert caption[0][0] == "caption" and caption[0][2]
    assert header[0][0] == "th" and all(kind == "th" and attrs.get("scope") == "col" for kind, attrs, _t in header)
    categories = [text for _k, _a, text in header[1:]]
    table = {}
    for row in body:
        (kind, attrs, municipality), *cells = row
        assert kind == "th" and attrs.get("scope") == "row"
        assert len(cells) == len(categories) and all(kind == "td" for kind, _a, _t in cells)
        for category, (_kind, _attrs, text) in zip(categories, cells):
            assert re.fullmatch(r"\d+", text), text  # 0 printed as 0, never left empty
            table[municipality, category] = int(text)
    # The same numbers as the chart, pair by pair, and a pair with 2+ projects as the database has it.
    chart = matrix_of_the_chart(page)
    assert chart and {pair: n for pair, n in table.items() if n} == chart
    pair = (Project.objects.exclude(municipality=None).exclude(categories=None)
            .values("municipality__name", "categories__name").annotate(n=Count("pk", distinct=True))
            .filter(n__gte=2).order_by("-n", "municipality__name").first())
    assert pair, "the catalogue has a municipality with 2+ projects in one category"
    assert table[pair["municipality__name"], pair["categories__name"]] == pair["n"]
    assert chart[pair["municipality__name"], pair["categories__name"]] == pair["n"]
    # The wide table scrolls in a region a keyboard can reach, named for screen readers.
    region = next(a for a in reversed(parser.wrappers["matrix-table"]) if a.get("role") == "region")
    assert region.get("tabindex") == "0" and region.get("aria-label")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["report_preview", "letter_preview"])
def test_the_previews_have_one_main_landmark_around_the_content(name, bob_client, assessment):
    page = bob_client.get(reverse(name, args=[assessment.pk])).content.decode()
    assert len(re.findall(r"<main[\s>]", page)) == 1 and page.count("</main>") == 1
    body = page.split("<body>")[1].split("</body>")[0].strip()
    assert body.startswith("<main>") and body.endswith("</main>")  # everything in it
    main = body.split("<main>")[1].split("</main>")[0]
    assert "<h1" in main


@pytest.mark.django_db
def test_the_council_form_preview_has_one_main_landmark(bob, misato, published_set, bob_client):
    assessment = assessment_create(user=bob, project=misato, question_set=published_set, title="議員", standpoint="council")
    page = bob_client.get(reverse("letter_preview", args=[assessment.pk])).content.decode()
    assert "一般質問 通告書（案）" in page
    assert len(re.findall(r"<main[\s>]", page)) == 1 and page.count("</main>") == 1
    assert page.split("<body>")[1].split("</body>")[0].strip().startswith("<main>")
