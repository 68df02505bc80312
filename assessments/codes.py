"""全国地方公共団体コード (local government codes): five digits plus a check digit."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(first_five: str) -> int:
    """The check digit of a local government code (総務省の検査数字: 重み 6,5,4,3,2, 法 11)."""
    if len(first_five) != 5 or not first_five.isascii() or not first_five.isdigit():
        raise ValueError("five ASCII digits expected")
    total = sum(int(digit) * weight for digit, weight in zip(first_five, _WEIGHTS))
    return (11 - total % 11) % 10


def validate_local_government_code(value: str) -> None:
    if len(value) != 6 or not value.isascii() or not value.isdigit():
        raise ValidationError(_("団体コードは6桁の半角数字です。"), code="format")
    if check_digit(value[:5]) != int(value[5]):
        raise ValidationError(
            _("団体コード %(code)s の検査数字が正しくありません（正しくは %(digit)s）。"),
            code="check_digit",
            params={"code": value, "digit": check_digit(value[:5])},
        )
