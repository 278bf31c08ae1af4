"""Value classes without the `dataclasses` module, for the modules `history search` loads.

Importing `dataclasses` imports `inspect`, and with it `ast`, `dis` and `tokenize`: about
12 ms, a quarter of the 50 ms a whole search may take (docs/architecture.md, "Start-up").
The classes on that path name their fields in ``__slots__`` and write their own
``__init__``; these bases give them what a dataclass would: equality, a repr, a copy with
some fields changed, and (``Frozen``) immutability and a hash. tests/cli/test_lean.py keeps
`dataclasses` off that path.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself costs a few ms; mypy reads this name as typing's
if TYPE_CHECKING:
    from typing import Any, Self


class Value:
    """Fields in ``__slots__``; equal when of one class with equal fields; unhashable (it can
    change: defining __eq__ leaves __hash__ None, as in a dataclass that is not frozen).
    Fields whose names start with ``_`` stay out of the repr (secrets)."""

    __slots__: tuple[str, ...] = ()

    def fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Value)
        return self.fields() == other.fields()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__
                          if not name.startswith("_"))
        return f"{self.__class__.__name__}({shown})"

    def but(self, **changes: Any) -> Self:
        """A copy with the fields in ``changes`` replaced (what dataclasses.replace does)."""
        unknown = set(changes) - set(self.__slots__)
        if unknown:
            raise TypeError(f"{self.__class__.__name__} has no field {', '.join(sorted(unknown))}")
        copy = object.__new__(self.__class__)
        for name in self.__slots__:
            object.__setattr__(copy, name, changes[name] if name in changes
                               else getattr(self, name))
        return copy


class Frozen(Value):
    """A Value that cannot change once built, and so can be hashed. Its ``__init__`` sets
    the fields with ``self._set(name=value, ...)``."""

    __slots__: tuple[str, ...] = ()

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self.__class__.__name__} is frozen: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{self.__class__.__name__} is frozen: cannot delete {name}")

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self.fields()))
