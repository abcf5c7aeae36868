"""Every error class has its HTTP status, given on purpose (REVIEW: mapping keyed by
strings, classes that were never mapped)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import standardiste
from standardiste.errors import (
    CommandTimeout,
    StandardisteError,
    UnknownQueue,
    error_classes,
    error_from_code,
)
from standardiste.web.errors import STATUS_BY_CLASS, status_of_error


def _import_everything() -> None:
    """Load every module of the product, so that every error class is defined."""
    for package in (standardiste,):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in info.name:
                continue
            importlib.import_module(info.name)


def test_every_error_class_has_a_status() -> None:
    _import_everything()
    unmapped = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in error_classes()
        # A class with its own code needs its own status; one that only narrows its base's
        # meaning (no code of its own) shares the base's code and status.
        if cls not in STATUS_BY_CLASS
        and "code" in cls.__dict__
        and not cls.__module__.startswith("tests")
    )
    assert unmapped == [], "give these error classes an HTTP status in web/errors.py"


def test_codes_are_unique() -> None:
    _import_everything()
    # A class that names its own code names a new one (a subclass may share its base's).
    codes = [cls.code for cls in error_classes() if "code" in cls.__dict__]
    assert len(codes) == len(set(codes)), sorted(codes)


@pytest.mark.parametrize(
    ("error", "status"),
    [(UnknownQueue("x"), 404), (CommandTimeout("x"), 504), (StandardisteError("x"), 500)],
)
def test_status_by_class(error: StandardisteError, status: int) -> None:
    assert status_of_error(error) == status


def test_an_error_crosses_the_command_bus_as_its_own_class() -> None:
    rebuilt = error_from_code("unknown_queue", "unknown queue(s): nope")
    assert type(rebuilt) is UnknownQueue and rebuilt.message == "unknown queue(s): nope"
    unknown = error_from_code("something_new", "from a newer bridge")
    assert (unknown.code, status_of_error(unknown)) == ("something_new", 500)
