"""Log lines as ``key=value`` pairs, one event a line, for people reading a terminal and for log
shippers alike (``grep status=5``, ``awk``, or a key=value parser such as Loki's ``logfmt``).

A record says what happened in its message (``request``, ``render``) and carries its figures in
``extra={"fields": {...}}``; ``KeyValueFormatter`` prints both after the time, level and logger.
"""

import json
import logging
from datetime import datetime, timezone

# A value with none of these is printed bare; any other is printed as a JSON string, so a path
# holding a space, a quote or a newline (%0A in a URL) can neither split the line nor forge a field.
_BARE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:+@%,")


def format_value(value) -> str:
    """``value`` as it appears after ``key=``. A pure function."""
    if value is None:
        return "-"
    if isinstance(value, float):
        value = f"{value:.1f}"
    text = str(value)
    if text and all(character in _BARE for character in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def key_value_line(fields: dict) -> str:
    """``fields`` as one line of ``key=value`` pairs, in their order. A pure function."""
    return " ".join(f"{key}={format_value(value)}" for key, value in fields.items())


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        line = key_value_line(fields)
        if record.exc_info:
            # The traceback follows on its own lines: it is for a person, not for a parser.
            line += "\n" + self.formatException(record.exc_info)
        return line
