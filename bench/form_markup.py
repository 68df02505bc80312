"""CPU time of the wizard's section pages with the form markup written out by
assessments/templatetags/form_fields.py, against the same pages rendered by Django's and
crispy-forms' own templates, interleaved in one process.

    .venv/bin/python bench/form_markup.py [--runs 60]

Same set-up as bench/request_cpu.py (a fresh SQLite database with the demo, production settings,
Django's test client). Each section page is requested ``--runs`` times in each of three modes, in
turn: everything form_fields writes out on; only ``form_field`` (the source rows' fields and the
notes, as before 2026-12-07); nothing (``_plain`` and ``_written_out`` turned off, as
tests/test_form_fields.py turns them off to compare the markup, which is the same in all three).
The median of each mode is printed. Interleaving in
one process keeps the machine's drift out of the comparison, which separate runs on this shared
machine did not (the same code measured 26–40 ms from one run to the next).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from request_cpu import fresh_database_with_settings  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dxpia-bench-static-") as static_root:
        workdir = fresh_database_with_settings(static_root)
        try:
            measure(args.runs)
        finally:
            import shutil
            shutil.rmtree(workdir, ignore_errors=True)


def measure(runs):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from assessments.demo import create_demo_assessment
    from assessments.templatetags import form_fields

    call_command("collectstatic", interactive=False, verbosity=0)
    owner = get_user_model().objects.create_user("form-markup", password="form-markup-password-2026")
    assessment = create_demo_assessment(user=owner)
    client = Client()
    client.force_login(owner)
    real = {"_plain": form_fields._plain, "_written_out": form_fields._written_out}
    modes = {  # what is written out by form_fields; the rest goes through the templates
        "everything": real,
        "form_field only": {**real, "_written_out": lambda widget, kinds: False},
        "nothing": {"_plain": lambda field: False, "_written_out": lambda widget, kinds: False},
    }
    print("median CPU ms of a section page, by what form_fields writes out:")
    print(f"{'section page':<14}" + "".join(f"{mode:>17}" for mode in modes))
    try:
        for key in assessment.question_set.sections.order_by("position").values_list("key", flat=True):
            path = f"/assessments/{assessment.pk}/sections/{key}/"
            times = {mode: [] for mode in modes}
            for i in range((runs + 1) * len(modes)):
                mode = list(modes)[i % len(modes)]
                for name, function in modes[mode].items():
                    setattr(form_fields, name, function)
                started = time.process_time()
                response = client.get(path)
                spent = time.process_time() - started
                assert response.status_code == 200, (path, response.status_code)
                if i >= len(modes):  # the first of each: warm-up
                    times[mode].append(spent)
            print(f"{key:<14}" + "".join(f"{statistics.median(times[mode]) * 1000:17.1f}" for mode in modes))
    finally:
        for name, function in real.items():
            setattr(form_fields, name, function)

if __name__ == "__main__":
    main()
