"""The routing model's examples are read at most once per ``min_age_s``: training needs every sent assignment
with its item's text (O(assignments)), which must not be read again on every suggestion asked for."""

import time
from typing import Any, cast

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.suggestions import RoutingModels


class NoReads:
    async def exec(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the examples were read again")


async def test_a_recently_checked_model_is_answered_without_reading_the_examples() -> None:
    model = cast(Any, object())
    models = RoutingModels(min_age_s=60.0, model=model, trained_on=5, checked_at=time.monotonic())
    assert await models.current(cast(AsyncSession, NoReads())) is model


async def test_an_older_check_reads_them_again() -> None:
    models = RoutingModels(min_age_s=60.0, model=cast(Any, object()), trained_on=5, checked_at=time.monotonic() - 61)
    with pytest.raises(AssertionError, match="read again"):
        await models.current(cast(AsyncSession, NoReads()))
