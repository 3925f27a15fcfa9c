"""classroom/kubernetes/: Zero to JupyterHub values and the image recipe, checked since they cannot be deployed here.

No cluster, Docker or Helm here. What is checked: every YAML file parses; values.yaml and
ngshare-values.yaml are exactly what make_values.py writes from classroom/course_hub.py; every
key path they use is in key-paths.txt, the list checked against the chart versions it names (and
nothing listed goes unused); the groups, roles and services are the one-machine hub's, as
classroom/jupyterhub_config.py builds them; the Formgrader Deployment matches its service entry;
the image pins the chart's JupyterHub and copies no solutions.
"""

from __future__ import annotations

import doctest
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from traitlets.config import Config

from paths import ROOT

KUBERNETES = ROOT / "classroom" / "kubernetes"
sys.path.insert(0, str(ROOT / "classroom"))
import course_hub  # noqa: E402  (classroom/)


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_values = _module(KUBERNETES / "make_values.py")
check_key_paths = _module(KUBERNETES / "check_key_paths.py")


def _yaml(name: str) -> Any:
    return yaml.safe_load((KUBERNETES / name).read_text())


def all_key_paths(values: dict[str, Any], prefix: str = "") -> list[str]:
    """Every key path of a values file, at every depth."""
    paths = []
    for key, value in values.items():
        paths.append(f"{prefix}{key}")
        if isinstance(value, dict):
            paths += all_key_paths(value, f"{prefix}{key}.")
    return paths


def checked_paths() -> dict[str, dict[str, str]]:
    """key-paths.txt: chart ("jupyterhub 4.4.0") -> {path: how it was checked}."""
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in (KUBERNETES / "key-paths.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if header := re.fullmatch(r"\[(.+)\]", line):
            current = header.group(1)
            sections[current] = {}
        else:
            path, kind = line.split()
            sections[current][path] = kind
    return sections


def test_every_yaml_file_parses() -> None:
    assert _yaml("values.yaml")["hub"]["loadRoles"]
    assert _yaml("ngshare-values.yaml")["ngshare"]["admins"]
    kinds = [document["kind"] for document in yaml.safe_load_all((KUBERNETES / "formgrader.yaml").read_text())]
    assert kinds == ["PersistentVolumeClaim", "Deployment", "Service"]


def test_values_are_what_make_values_writes() -> None:
    """Generated from classroom/course_hub.py: run `make kubernetes-values` after changing either."""
    assert (KUBERNETES / "values.yaml").read_text() == make_values.dump(make_values.values(), make_values.HEADER)
    assert _yaml("ngshare-values.yaml") == make_values.ngshare_values()


@pytest.mark.parametrize(("name", "chart"), [("values.yaml", "jupyterhub"), ("ngshare-values.yaml", "ngshare")])
def test_every_key_path_was_checked_against_the_chart_version_named(name: str, chart: str) -> None:
    version = make_values.CHART_VERSION if chart == "jupyterhub" else make_values.NGSHARE_CHART_VERSION
    assert f"--version {version}" in (KUBERNETES / name).read_text(), "the values name the chart version they are for"
    listed = checked_paths()[f"{chart} {version}"]
    used = all_key_paths(_yaml(name))
    free = [path for path, kind in listed.items() if kind == "free-form"]
    unchecked = [p for p in used if p not in listed and not any(p.startswith(f"{f}.") for f in free)]
    assert not unchecked, f"key paths not checked against {chart} {version}: {unchecked} (check_key_paths.py)"
    assert not set(listed) - set(used), f"key-paths.txt lists paths {name} no longer uses"


def test_the_key_path_checker_finds_a_misspelt_key() -> None:
    failures, _ = doctest.testmod(check_key_paths, raise_on_error=False)
    assert failures == 0


def one_machine_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """classroom/jupyterhub_config.py as the hub loads it, for the ngshare exchange."""
    (tmp_path / "ngshare").mkdir()
    monkeypatch.setenv("SDH_INSTRUCTOR", "instructor")
    monkeypatch.setenv("SDH_EXCHANGE", "ngshare")
    monkeypatch.setenv("SDH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SDH_NGSHARE_DIR", str(tmp_path / "ngshare"))
    config = Config()
    source = (ROOT / "classroom" / "jupyterhub_config.py").read_text()
    exec(compile(source, str(ROOT / "classroom" / "jupyterhub_config.py"), "exec"),
         {"get_config": lambda: config, "__file__": str(ROOT / "classroom" / "jupyterhub_config.py")})  # fmt: skip
    return config


def test_groups_roles_and_services_match_the_one_machine_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_machine = one_machine_config(tmp_path, monkeypatch)
    values = _yaml("values.yaml")["hub"]
    roles = [{"name": name, **role} for name, role in values["loadRoles"].items()]
    assert roles == one_machine.JupyterHub.load_roles
    assert values["config"]["JupyterHub"]["load_groups"] == one_machine.JupyterHub.load_groups
    services = {service["name"]: service for service in one_machine.JupyterHub.services}
    assert set(values["services"]) == set(services)
    shared = course_hub.formgrader_service("")
    for key in set(shared) - {"name", "url"}:
        assert values["services"][course_hub.COURSE_ID][key] == services[course_hub.COURSE_ID][key]
    assert values["config"]["Authenticator"]["allow_existing_users"] is one_machine.Authenticator.allow_existing_users


def test_the_formgrader_deployment_is_the_service_values_yaml_names() -> None:
    _, deployment, service = yaml.safe_load_all((KUBERNETES / "formgrader.yaml").read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value") or item["valueFrom"]["secretKeyRef"] for item in container["env"]}
    course = course_hub.COURSE_ID
    assert env["JUPYTERHUB_SERVICE_NAME"] == course
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == f"/services/{course}/"
    assert env["JUPYTERHUB_API_TOKEN"] == {"name": "hub", "key": f"hub.services.{course}.apiToken"}  # chart's Secret
    folders = "/srv/sdh/jupyter-config"
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [f"{folders}/formgrader", f"{folders}/common"]
    url = _yaml("values.yaml")["hub"]["services"][course]["url"]
    assert url == f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"
    assert container["ports"][0]["containerPort"] == service["spec"]["ports"][0]["targetPort"]
    assert env["SDH_NGSHARE_URL"] == _yaml("values.yaml")["singleuser"]["extraEnv"]["SDH_NGSHARE_URL"]


def test_the_image_pins_the_charts_jupyterhub_and_copies_no_solutions() -> None:
    dockerfile = (KUBERNETES / "Dockerfile").read_text()
    final_stage = dockerfile[dockerfile.rindex("\nFROM ") :]
    copies = re.findall(r"^COPY (.+)$", final_stage, flags=re.MULTILINE)
    sources = [source for line in copies for source in line.split()[:-1]]
    assert sources == ["--from=release", "/release", "classroom/kubernetes/requirements-singleuser.txt",
                       "classroom/requirements-no-deps.txt", "classroom/jupyter-config"]  # fmt: skip
    assert "make -C /repository release DIR=/release" in dockerfile
    singleuser = {line.split("==")[0]: line.split("==")[1] for line in
                  (KUBERNETES / "requirements-singleuser.txt").read_text().splitlines() if "==" in line}  # fmt: skip
    assert singleuser["jupyterhub"] == "5.5.0", "the hub of chart 4.4.0: keep jupyterhub-singleuser at its version"
    assert "jupyterhub 4.4.0" in checked_paths()
    environment = (ROOT / "environment.yml").read_text()
    assert not [name for name in singleuser if re.search(rf"^\s*- {re.escape(name)}==", environment, re.M | re.I)]
    assert "--no-deps -r /srv/sdh/requirements-no-deps.txt" in dockerfile
    assert _yaml("values.yaml")["singleuser"]["cmd"] == "sdh-singleuser"
    assert "/usr/local/bin/sdh-singleuser" in dockerfile
