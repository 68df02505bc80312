"""WeasyPrint, set up for dxpia's documents: tagged PDF/UA-1, safe resource loading and three
measured speed-ups.

``html_to_pdf`` is the one place HTML becomes PDF. It lets WeasyPrint load only the app's own static
files (``StaticOnlyFetcher``), and it makes the demonstration report about 0.45 s faster (of about
2 s; ``bench/report_pdf.py`` measures it) in three ways:

- **The cyclic garbage collector is paused during the render.** WeasyPrint builds about 150,000
  objects in reference cycles for that report. With the collector on, it runs again and again during
  the render and scans them each time. Paused, they stay in the youngest generation, and one
  collection of that generation afterwards frees them.
- **The user-agent stylesheet leaves out the footnote and note rules.** WeasyPrint's HTML stylesheet
  gives ``::footnote-call``, ``::footnote-marker``, ``::note-call``, ``::note-marker`` and
  ``::note-callback`` a style on *every* element, so it computes five extra styles per element.
  dxpia's documents have no footnotes or notes. WeasyPrint has no public option for this; its own
  test suite overrides ``HTML._ua_stylesheets`` the same way. If a WeasyPrint upgrade changes these
  rules, the full stylesheet is used (slower, same output) and a test fails to say so.
- **Each thread keeps its font configuration.** By default WeasyPrint makes a new one (a fontconfig
  set-up and a Pango font map) for every document, so Pango's caches of fonts, glyph metrics and line
  struts start cold each time. Keeping one per thread saved about 50 ms a report. It is per thread
  because a Pango font map must not be used by two threads at once; dxpia's documents have no
  ``@font-face`` rules, so nothing from one document stays in it for the next.
"""

import functools
import gc
import logging
import threading

from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.html import UA
from weasyprint.text.fonts import FontConfiguration

from assessments.reports.fetcher import BASE_URL, StaticOnlyFetcher

logger = logging.getLogger(__name__)

UNUSED_UA_RULES = (
    "::footnote-call {",
    "::footnote-marker {",
    "::note-call {",
    "::note-marker {",
    "::note-callback {",
)


def trimmed_user_agent_css(text: str, unused: tuple[str, ...] = UNUSED_UA_RULES) -> str | None:
    """The stylesheet without the one-line rules starting with ``unused``; None if any is missing."""
    lines = text.splitlines()
    kept = [line for line in lines if not line.startswith(unused)]
    if len(lines) - len(kept) != len(unused):
        return None
    return "\n".join(kept)


_trimmed = trimmed_user_agent_css(UA)
UA_TRIMMED = _trimmed is not None
if not UA_TRIMMED:
    logger.warning("WeasyPrint's user-agent stylesheet changed; rendering with the full stylesheet")
# Its @counter-style rules are already in WeasyPrint's UA_COUNTER_STYLE, which documents keep using.
USER_AGENT_STYLESHEET = CSS(string=_trimmed if UA_TRIMMED else UA, counter_style=CounterStyle())


class DocumentHTML(HTML):
    """An HTML document styled by the trimmed user-agent stylesheet (dxpia's documents have no forms)."""

    def _ua_stylesheets(self, forms=False):
        return [USER_AGENT_STYLESHEET]


class _CyclicGCPause:
    """A context manager that pauses the cyclic garbage collector, shared by concurrent renders.

    The collector is turned back on when the last render ends, and only if it was on when the first
    began; then the youngest generation, where everything the renders made still is, is collected.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = True

    def __enter__(self):
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *exc_info):
        with self._lock:
            self._depth -= 1
            resume = self._depth == 0 and self._was_enabled
            if resume:
                gc.enable()
        if resume:
            gc.collect(0)
        return False


cyclic_gc_paused = _CyclicGCPause()

_per_thread = threading.local()


def font_configuration() -> FontConfiguration:
    """This thread's font configuration, made on first use."""
    config = getattr(_per_thread, "font_config", None)
    if config is None:
        config = _per_thread.font_config = FontConfiguration()
    return config


# Tagged PDF (PDF/UA-1): headings, lists, tables with header cells, the chart's alternative text
# and the document's language reach a screen reader. About 5-10 % more render time
# (bench/report_pdf.py prints both).
PDF_VARIANT = "pdf/ua-1"


# The fonts the documents name (dxpia.css, the letter's and the council notice's own styles;
# Debian's fonts-ipaexfont-gothic and fonts-ipaexfont-mincho, which dev.sh installs). Without them
# fontconfig falls back to a font with no Japanese glyphs and every character prints as a box, in a
# PDF that the document storage would then keep and serve.
DOCUMENT_FONTS = ("IPAexGothic", "IPAexMincho")


class MissingFonts(RuntimeError):
    """A document cannot be rendered: fontconfig has none of these fonts."""


@functools.cache
def missing_fonts() -> tuple[str, ...]:
    """The DOCUMENT_FONTS fontconfig does not know (once per process: fonts installed later need a
    restart, as fontconfig's own list does)."""
    from weasyprint.text.ffi import ffi, fontconfig

    config = ffi.gc(fontconfig.FcInitLoadConfigAndFonts(), fontconfig.FcConfigDestroy)
    fonts = fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem)
    families = set()
    value = ffi.new("FcChar8 **")
    for index in range(fonts.nfont if fonts != ffi.NULL else 0):
        number = 0
        while fontconfig.FcPatternGetString(fonts.fonts[index], b"family", number, value) == fontconfig.FcResultMatch:
            families.add(ffi.string(value[0]).decode("utf-8", "replace"))
            number += 1
    return tuple(font for font in DOCUMENT_FONTS if font not in families)


def html_to_pdf(html: str, *, pdf_variant: str | None = PDF_VARIANT) -> bytes:
    """The PDF of ``html``; MissingFonts rather than a PDF of boxes."""
    missing = missing_fonts()
    if missing:
        raise MissingFonts(f"no font {', '.join(missing)} (install fonts-ipaexfont-gothic and fonts-ipaexfont-mincho)")
    fetcher = StaticOnlyFetcher()
    with cyclic_gc_paused:
        document = DocumentHTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
        pdf = document.write_pdf(font_config=font_configuration(), pdf_variant=pdf_variant)
    if fetcher.refused:
        logger.warning("refused to fetch %s", fetcher.refused)
    return pdf
