from django.apps import AppConfig
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
