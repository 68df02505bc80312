from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = _("プライバシー影響評価")

    def ready(self):
        from assessments import accounts  # noqa: F401  (the profile of every new user)
        from assessments import languages  # noqa: F401  (a sign-in brings the chosen language)
        from assessments.reports import render  # noqa: F401  (a deleted assessment's stored documents go too)
        from django.db.backends.signals import connection_created

        from assessments.reports import document_stamp

        # Every write to what a document may print renews the document stamp (see its module).
        connection_created.connect(document_stamp.watch, dispatch_uid="dxpia-document-stamp")
        checks.register(document_fonts_check)


def document_fonts_check(app_configs, **kwargs):
    """Said by every management command (runserver and migrate among them): the fonts the PDFs print
    with are not installed, so no document can be made (reports.engine.MissingFonts; /healthz
    fails). A warning, not an error: backups, reminders and imports need no font."""
    from assessments.reports.engine import missing_fonts

    missing = missing_fonts()
    if not missing:
        return []
    return [checks.Warning(
        f"The fonts the documents print with are not installed: {', '.join(missing)}.",
        hint="Install Debian's fonts-ipaexfont-gothic and fonts-ipaexfont-mincho (bash scripts/dev.sh does).",
        id="dxpia.W001",
    )]
