"""Working days (工作日) on the State Council's yearly holiday schedule.

:mod:`.calendar` counts working days (and raises or estimates for years without a
schedule), :mod:`.notice` reads a pasted notice, :mod:`.operations` stores a year, and
:mod:`.seed` fills 2004–2026 from the chinese-calendar package.
"""

from participation.core.workdays.calendar import (  # noqa: F401
    Deadline,
    ScheduleMissing,
    WorkingCalendar,
    add_working_days,
    deadline,
    known_years,
    working_days_between,
)
