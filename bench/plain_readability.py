"""The readability of every やさしい日本語 finding of the shipped question sets (issue 19).

    .venv/bin/python bench/plain_readability.py [dxpia/fixtures/plain/dx-pia.json …]

Scores each hand-written text with jreadability (Lee & Hasebe's formula; 0.5–6.5, higher is easier)
and prints, per question, each class's score and length, then the spread per class and how many
texts fall below 4.5 (「易しい」, 初級後半, is 4.5–5.5; 「とても易しい」 5.5 and above). The test suite
requires every *summary* of the fixtures to score 4.5 or more (tests/test_plain_language.py); this
script shows the texts the summaries are made of. ``{市}`` is scored as 市, as pages show it.
"""

import json
import statistics
import sys
from importlib.metadata import version
from pathlib import Path

from fugashi import Tagger
from jreadability import compute_readability

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 4.5
LEVELS = ((5.5, "とても易しい"), (4.5, "易しい"), (3.5, "普通"), (2.5, "やや難しい"), (1.5, "難しい"), (0, "とても難しい"))


def level(score: float) -> str:
    return next(label for bound, label in LEVELS if score >= bound)


def main(paths):
    tagger = Tagger()
    print(f"jreadability {version('jreadability')}, threshold {THRESHOLD} (易しい)")
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        print(f"\n{Path(path).name}: {data['key']} v{', v'.join(map(str, data.get('versions') or [data['version']]))}")
        by_class: dict[str, list[float]] = {}
        below = []
        for key, texts in data["findings"].items():
            cells = []
            for cls, text in texts.items():
                shown = text.replace("{市}", "市")
                score = compute_readability(shown, tagger)
                by_class.setdefault(cls, []).append(score)
                cells.append(f"{cls} {score:.2f} ({len(shown)}字)")
                if score < THRESHOLD:
                    below.append((key, cls, score, shown))
            print(f"  {key:34} " + "  ".join(cells))
        print("\n  class           texts   min   median  mean")
        scores = []
        for cls, values in by_class.items():
            scores += values
            print(f"  {cls:15} {len(values):5}  {min(values):.2f}  {statistics.median(values):.2f}   {statistics.mean(values):.2f}")
        print(f"  {'all':15} {len(scores):5}  {min(scores):.2f}  {statistics.median(scores):.2f}   {statistics.mean(scores):.2f}"
              f"  → {level(statistics.mean(scores))}")
        print(f"  below {THRESHOLD}: {len(below)}")
        for key, cls, score, text in below:
            print(f"    {key} {cls} {score:.2f} {text}")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(str(p) for p in (ROOT / "dxpia" / "fixtures" / "plain").glob("*.json")))
