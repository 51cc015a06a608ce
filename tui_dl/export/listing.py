"""`tui-dl export --list`: every component with its parameters, defaults and ranges."""

from __future__ import annotations

import json
from typing import TextIO

from tui_dl.engine.catalog import CATALOGS
from tui_dl.params import Component


def _component_document(component: Component) -> dict:
    return {
        "name": component.name,
        "family": component.family,
        "summary": component.summary,
        "params": [
            {"name": s.name, "kind": s.kind, "default": s.format(s.default), "allowed": s.allowed(),
             "scale": s.scale, "help": s.help}
            for s in component.params
        ],
    }


def write_listing(fmt: str, stream: TextIO) -> None:
    """Write the catalogs as aligned text or as json."""
    if fmt == "json":
        document = {kind: [_component_document(c) for c in catalog] for kind, catalog in CATALOGS.items()}
        json.dump(document, stream, indent=1)
        stream.write("\n")
        return
    for kind, catalog in CATALOGS.items():
        stream.write(f"{kind}s ({len(catalog)}):\n")
        for component in catalog:
            family = f" [{component.family}]" if component.family else ""
            stream.write(f"  {component.name}{family}: {component.summary}\n")
            for spec in component.params:
                stream.write(f"      {spec.name} = {spec.format(spec.default)}  ({spec.allowed()})  {spec.help}\n")
        stream.write("\n")
