"""Django's command line for dxpia: ``python manage.py`` in a checkout, ``dxpia-manage`` once installed
(manage.py is not in the wheel; the console script of pyproject.toml calls main())."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxpia.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
