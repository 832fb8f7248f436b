"""Windows near the ends of the calendar: a field error, never an overflow."""

from __future__ import annotations

from datetime import date

import pytest

from services.errors import ParameterError
from services.windows import requested_window


@pytest.mark.parametrize("max_days", [None, 365])
def test_an_end_in_the_first_days_of_year_1_is_a_field_error(max_days: int | None) -> None:
    with pytest.raises(ParameterError) as refused:
        requested_window(None, date(1, 1, 1), date(2026, 12, 5), max_days=max_days)
    assert refused.value.field == "time_window"
