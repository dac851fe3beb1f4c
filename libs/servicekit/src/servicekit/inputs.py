"""Request bodies validated as strictly as JSON allows: ``"15"`` is no integer and ``"true"`` no
boolean, as pydantic's default (lax) mode would take them, while dates, times, UUIDs and enum
values still come as the JSON strings they are.

FastAPI validates the Python objects ``json.loads`` made, and pydantic's strict mode refuses a
string for a date in Python mode; in JSON mode it takes one. So a request model deriving from
``StrictInput`` first checks its input as JSON, in strict mode, against a plain pydantic twin of
itself with the same field types (SQLModel classes validate through ``__init__``, in lax Python
mode, whatever mode they are called in); that raises the strict errors, a 422 naming the field.
Then the usual validation builds the model, constraints and validators included. One base class
per request model, no per-field annotations.
"""

import types
import typing
from functools import cache
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, ValidationInfo, create_model, model_validator
from pydantic_core import PydanticSerializationError, to_json
from sqlmodel import SQLModel


def _strict_type(annotation: Any) -> Any:
    """``annotation`` with every pydantic model in it replaced by its strict twin."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _twin(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is None or not args:
        return annotation
    if origin is Annotated:
        return Annotated[(_strict_type(args[0]), *annotation.__metadata__)]
    new = tuple(_strict_type(a) for a in args)
    if origin in (Union, types.UnionType):
        return Union[new]  # noqa: UP007 - built from a tuple
    if origin in (list, set, frozenset, tuple, dict):
        return origin[new]
    return annotation


@cache
def _twin(model: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (_strict_type(f.annotation), ... if f.is_required() else None) for name, f in model.model_fields.items()
    }
    return create_model(f"{model.__name__}StrictTwin", __config__=ConfigDict(strict=True, extra="ignore"), **fields)


class StrictInput(SQLModel):
    @model_validator(mode="before")
    @classmethod
    def _strict_json(cls, data: Any, info: ValidationInfo) -> Any:
        if info.mode != "python" or not isinstance(data, dict):
            return data
        try:
            raw = to_json(data)
        except PydanticSerializationError:
            return data  # not JSON-shaped: the usual validation only
        _twin(cls).model_validate_json(raw, strict=True)
        return data
