"""How the meetings domain answers the signals of the domains to its left."""

from __future__ import annotations

from participation.meetings import models  # noqa: F401 - the mapped classes
