"""What a fresh server process would otherwise do on its first requests, done once in gunicorn's
master before it forks the workers (``when_ready`` in dxpia/gunicorn_conf.py).

A worker is replaced after ``max_requests``; without this, each new one spent 100–400 ms of CPU on
the first request of each kind (importing the URLconf and its views, reading the translation
catalogues, compiling the templates) while requests queued behind it. Nothing here touches the
database: a connection opened in the master would be shared by every fork. Nothing here may stop
the server either: a template that does not compile is logged and left to the request that uses it,
as without the warm-up.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.template import TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger("dxpia.warm_up")

# What dxpia/templates holds: pages, e-mails and letters, and the style sheets pages include.
TEMPLATE_SUFFIXES = {".html", ".txt", ".css"}


def warm_up() -> None:
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018  (imports the URLconf, and with it every view, form and service)
    try:
        for code, _name in settings.LANGUAGES:
            translation.activate(code)  # reads and merges this language's catalogues
            resolver.reverse_dict  # noqa: B018  (the reverse lookup table, built per language)
    finally:
        translation.deactivate()  # the forks start with no language of their own, as a fresh process
    compile_project_templates()


def project_template_names() -> list[str]:
    """The names of the templates in the project's own template folders (not Django's or the
    apps'), without hidden files or anything else a checkout may leave there."""
    names = []
    for engine in settings.TEMPLATES:
        for folder in map(Path, engine.get("DIRS", [])):
            names += sorted(
                path.relative_to(folder).as_posix()
                for path in folder.rglob("*")
                if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
                and not any(part.startswith(".") for part in path.relative_to(folder).parts)
            )
    return names


def compile_project_templates() -> None:
    """Compile each of the project's templates into the cached loader, which the forks share."""
    engine = engines["django"]
    for name in project_template_names():
        try:
            engine.get_template(name)
        except (TemplateSyntaxError, UnicodeDecodeError) as error:
            logger.warning("template %s does not compile: %s", name, error)
