"""Name -> function registries for every ablation axis (timm/mmengine style).

Each axis declares the values the experiment matrix may name. A declared value without a
registered implementation raises ``NotImplementedError("not implemented: <axis>=<value>")``
when a job builds it, so a row never runs something else silently; an undeclared value raises
``KeyError`` listing the registered names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Registry:
    """A named set of implementations for one config axis (e.g. ``synthesis.blur.name``)."""

    def __init__(self, axis: str, declared: tuple[str, ...]):
        self.axis = axis
        self.declared = tuple(declared)
        self._items: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if name not in self.declared:
            raise ValueError(f"{self.axis}: '{name}' is not a declared value {self.declared}")

        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._items:
                raise ValueError(f"{self.axis}: '{name}' registered twice")
            self._items[name] = fn
            return fn

        return deco

    def get(self, name: str) -> Callable[..., Any]:
        if name in self._items:
            return self._items[name]
        if name in self.declared:
            raise NotImplementedError(f"not implemented: {self.axis}={name}")
        raise KeyError(
            f"unknown {self.axis} '{name}'; registered: {', '.join(sorted(self._items))}"
        )

    def implemented(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items
