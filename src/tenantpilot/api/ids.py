"""Input types shared by the API modules."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# A record id: positive and small enough for every database's integer column.
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
