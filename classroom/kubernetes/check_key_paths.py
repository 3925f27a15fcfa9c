"""Checks that every key path of a values file exists in a Helm chart's schema; prints the paths checked.

For the maintainers, when the chart version changes (README "Running it for a class", Kubernetes):

    git -C zero-to-jupyterhub-k8s show 4.4.0:jupyterhub/values.schema.yaml > /tmp/schema.yaml
    .venv/bin/python classroom/kubernetes/check_key_paths.py /tmp/schema.yaml classroom/kubernetes/values.yaml

    git -C ngshare show v0.6.0:helmchart/ngshare/values.yaml > /tmp/ngshare-defaults.yaml
    .venv/bin/python classroom/kubernetes/check_key_paths.py --defaults /tmp/ngshare-defaults.yaml \\
        classroom/kubernetes/ngshare-values.yaml

Each path it prints is either a ``property`` the schema names, or ``free-form``: a key under a
map the schema leaves open (``additionalProperties``, or a ``patternProperties`` pattern), whose
contents go to JupyterHub as they are (``hub.config.JupyterHub``, ``hub.loadRoles.<role>``).
A chart without a schema (ngshare's) is checked against its default values instead
(``--defaults``): a path exists when the defaults have it. Paste the output into key-paths.txt
with the chart version; the repository keeps that list, not the schema.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml


def schema_key_paths(values: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """(path, "property" or "free-form") for every key path of ``values``; unknown keys raise ValueError.

    Examples:
        >>> schema = {"type": "object", "additionalProperties": False, "properties": {
        ...     "hub": {"type": "object", "properties": {"config": {"type": "object", "additionalProperties": True}}}}}
        >>> schema_key_paths({"hub": {"config": {"JupyterHub": {"ip": "x"}}}}, schema)
        [('hub', 'property'), ('hub.config', 'property'), ('hub.config.JupyterHub', 'free-form')]
        >>> schema_key_paths({"hub": {"cnofig": {}}}, schema)
        Traceback (most recent call last):
        ...
        ValueError: hub.cnofig is not in the schema (known under hub: config)
    """
    paths: list[tuple[str, str]] = []
    properties = schema.get("properties", {})
    for key, value in values.items():
        path = f"{prefix}{key}"
        if key in properties:
            paths.append((path, "property"))
            if isinstance(value, dict) and value:
                paths += schema_key_paths(value, properties[key], f"{path}.")
            continue
        pattern = next((p for p in schema.get("patternProperties", {}) if re.search(p, key)), None)
        if pattern is not None or schema.get("additionalProperties") not in (None, False):
            paths.append((path, "free-form"))  # its contents pass through to JupyterHub as they are
            continue
        known = ", ".join(sorted(properties)) or "nothing"
        raise ValueError(f"{path} is not in the schema (known under {prefix.rstrip('.') or 'the top'}: {known})")
    return paths


def default_key_paths(values: dict[str, Any], defaults: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """(path, "default") for every key path of ``values`` that the chart's default values have.

    Examples:
        >>> default_key_paths({"ngshare": {"admins": ["a"]}}, {"ngshare": {"admins": [], "debug": False}})
        [('ngshare', 'default'), ('ngshare.admins', 'default')]
        >>> default_key_paths({"ngshare": {"admin": ["a"]}}, {"ngshare": {"admins": []}})
        Traceback (most recent call last):
        ...
        ValueError: ngshare.admin is not in the chart's default values (known under ngshare: admins)
    """
    paths: list[tuple[str, str]] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if key not in defaults:
            known = ", ".join(sorted(defaults)) or "nothing"
            raise ValueError(f"{path} is not in the chart's default values (known under {prefix.rstrip('.')}: {known})")
        paths.append((path, "default"))
        if isinstance(value, dict) and value and isinstance(defaults[key], dict) and defaults[key]:
            paths += default_key_paths(value, defaults[key], f"{path}.")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("schema", nargs="?", type=Path, help="the chart's values.schema.yaml (or .json)")
    parser.add_argument("values", type=Path, help="the values file to check")
    parser.add_argument("--defaults", type=Path, help="a chart without a schema: its default values.yaml")
    args = parser.parse_args(argv)
    values = yaml.safe_load(args.values.read_text())
    try:
        if args.defaults is not None:
            paths = default_key_paths(values, yaml.safe_load(args.defaults.read_text()))
        elif args.schema is not None:
            paths = schema_key_paths(values, yaml.safe_load(args.schema.read_text()))
        else:
            parser.error("give a schema, or --defaults")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path, kind in paths:
        print(f"{path}  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
