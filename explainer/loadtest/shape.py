"""What the running app offers, read from its own description: ``GET /config`` and ``GET /gradio_api/info``.

The harness never hard-codes parameter lists or slider ranges: every call it makes is built from
the defaults and ranges the app reports, so when a tab changes, the load test follows it, and
when an ``api_name`` the mix names disappears (or its parameters are renamed), it stops with a
message instead of measuring errors.

* an :class:`Endpoint` is one named event: its parameters in call order (``/info`` leaves out
  ``gr.State`` inputs, and so does ``POST /gradio_api/call/<api_name>``), their defaults, and for
  each parameter the slider range or the choices of the component behind it (from ``/config``);
* a :class:`LoadEvent` is one event the browser fires when the page opens (a dependency whose
  trigger is ``load``, or a ``.then`` chained after one): the browser sends it with
  ``POST /gradio_api/queue/join`` by ``fn_index``, the inputs' initial values as data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any


class AppChanged(RuntimeError):
    """The app no longer offers what the visitor mix uses: update explainer/loadtest/mix.py."""


@dataclass(frozen=True)
class Param:
    name: str  # the parameter name /gradio_api/info gives
    default: Any  # the component's initial value
    minimum: float | None = None  # slider / number range, from the component's props
    maximum: float | None = None
    step: float | None = None
    choices: tuple = ()  # radio / dropdown values (not labels)

    def moved(self, rng: random.Random) -> Any:
        """A value a person could set with this control: a choice, or a point of the slider's grid."""
        if self.choices:
            return rng.choice(self.choices)
        if self.minimum is None or self.maximum is None:
            raise AppChanged(f"parameter {self.name!r} has no range or choices to move over")
        step = self.step or 1
        k = rng.randint(0, int((self.maximum - self.minimum) // step))
        value = self.minimum + k * step  # on the grid min + k·step, as a slider sends it
        integral = float(step).is_integer() and float(self.minimum).is_integer()
        return int(value) if integral else round(value, 6)


@dataclass(frozen=True)
class Endpoint:
    api_name: str
    fn_index: int
    params: tuple[Param, ...]
    generator: bool  # streams frames (training, sampling)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise AppChanged(f"{self.api_name!r} has no parameter {name!r} any more; it takes "
                         f"{[p.name for p in self.params]}")

    def defaults(self) -> list:
        return [p.default for p in self.params]


@dataclass(frozen=True)
class LoadEvent:
    fn_index: int
    name: str  # api_name, or "fn <index>" for an unnamed event
    trigger_id: int | None  # the component whose load fired it (None for a .then)
    data: tuple  # the inputs' initial values, as the browser sends them
    after: int | None = None  # fn_index this one is chained after (.then)


@dataclass(frozen=True)
class AppShape:
    endpoints: dict[str, Endpoint]  # by api_name
    page_load: tuple[LoadEvent, ...]  # fired by the browser when the page opens, in config order

    def endpoint(self, api_name: str) -> Endpoint:
        if api_name not in self.endpoints:
            raise AppChanged(f"the app has no api_name {api_name!r} any more (explainer/loadtest/mix.py names it); "
                             f"it has {len(self.endpoints)} named events")
        return self.endpoints[api_name]


def _choice_values(choices) -> tuple:
    return tuple(c[1] if isinstance(c, (list, tuple)) else c for c in choices or ())


def _param(name: str, default: Any, props: dict) -> Param:
    return Param(name, default, props.get("minimum"), props.get("maximum"), props.get("step"),
                 _choice_values(props.get("choices")))


def read_shape(config: dict, info: dict) -> AppShape:
    """The named endpoints and the page-load events, from the two JSON documents the app serves."""
    components = {c["id"]: c for c in config["components"]}
    named = info["named_endpoints"]
    endpoints: dict[str, Endpoint] = {}
    for dep in config["dependencies"]:
        name = dep.get("api_name")
        if not name or f"/{name}" not in named or not dep.get("backend_fn", True):
            continue
        shown = [components[i] for i in dep["inputs"] if components[i]["type"] != "state"]
        described = named[f"/{name}"]["parameters"]
        if len(shown) != len(described):
            raise AppChanged(f"{name!r}: /config lists {len(shown)} non-state inputs, /info {len(described)} parameters")
        params = tuple(_param(d["parameter_name"], d.get("parameter_default"), c["props"])
                       for c, d in zip(shown, described))
        endpoints[name] = Endpoint(name, dep["id"], params, bool(dep.get("types", {}).get("generator")))
    loads: list[LoadEvent] = []
    fired: set[int] = set()
    for dep in config["dependencies"]:  # config order: a .then always follows its parent
        trigger = next((t for t in dep["targets"] if t[1] == "load"), None)
        after = dep.get("trigger_after")
        if (trigger is None and after not in fired) or not dep.get("backend_fn", True):
            continue
        data = tuple(None if components[i]["type"] == "state" else components[i]["props"].get("value")
                     for i in dep["inputs"])
        loads.append(LoadEvent(dep["id"], dep.get("api_name") or f"fn {dep['id']}",
                               trigger[0] if trigger else None, data, None if trigger else after))
        fired.add(dep["id"])
    return AppShape(endpoints, tuple(loads))
