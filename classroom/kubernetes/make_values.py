"""Writes the Zero to JupyterHub values (values.yaml) and ngshare's chart values (ngshare-values.yaml).

    .venv/bin/python classroom/kubernetes/make_values.py      # or: make kubernetes-values

The course's groups, roles and the Formgrader and ngshare services come from
classroom/course_hub.py, the source the one-machine hub (classroom/jupyterhub_config.py) reads
too; tests/classroom/test_kubernetes.py fails when the committed files differ from what this writes.
Nothing here is deployed by the tests: see README "Running it for a class", Kubernetes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import course_hub  # noqa: E402  (classroom/)

CHART_VERSION = "4.4.0"
"""The jupyterhub Helm chart these values are written for and checked against (key-paths.txt)."""
NGSHARE_CHART_VERSION = "0.6.0"
INSTRUCTORS = ["instructor"]
"""Placeholder account names: replace with your instructors' (their login names in your authenticator)."""
FORMGRADER_URL = "http://formgrader:8888"
"""The Service in formgrader.yaml: the Formgrader runs as an external service, in its own Deployment."""
NGSHARE_URL = "http://ngshare:8080"
"""The Service the ngshare chart creates (release name ngshare, same namespace)."""
CONFIG_FOLDERS = "/srv/sdh/jupyter-config"
"""Where the Dockerfile puts classroom/jupyter-config in the image."""
MEMORY = {"guarantee": "256M", "limit": "1G"}
"""Per server: tests/classroom/test_classroom.py measures about 160 MiB RSS idle and 215 MiB with one kernel."""
CPU = {"guarantee": 0.05, "limit": 1}

HEADER = f"""\
# Zero to JupyterHub values for a class of the course: helm upgrade --install sdh jupyterhub/jupyterhub
#   --version {CHART_VERSION} -f classroom/kubernetes/values.yaml (README "Running it for a class", Kubernetes).
# Written by classroom/kubernetes/make_values.py from classroom/course_hub.py: edit those, then run it.
# Every key path below exists in chart {CHART_VERSION}'s schema (classroom/kubernetes/key-paths.txt).
# Not deployed by the tests (no cluster here): replace the image name, the instructors and the
# authenticator (hub.config.JupyterHub.authenticator_class: the chart's default lets anyone in) with your own.
"""


def role_config_snippet() -> str:
    """hub.extraConfig: JUPYTER_CONFIG_PATH by role, as classroom/jupyterhub_config.py sets it on one machine."""
    instructors = course_hub.instructor_group()
    return f'''\
# Per-role Jupyter config folders (in the image), first on JUPYTER_CONFIG_PATH, as on one machine.
def role_config_path(spawner):
    role = "instructor" if "{instructors}" in {{g.name for g in spawner.user.groups}} else "student"
    return f"{CONFIG_FOLDERS}/{{role}}:{CONFIG_FOLDERS}/common"


c.KubeSpawner.environment["JUPYTER_CONFIG_PATH"] = role_config_path
'''


def values() -> dict[str, Any]:
    """The jupyterhub chart's values."""
    roles = {role["name"]: {key: value for key, value in role.items() if key != "name"}
             for role in course_hub.roles("ngshare")}  # fmt: skip
    formgrader = {key: value for key, value in course_hub.formgrader_service(FORMGRADER_URL).items() if key != "name"}
    return {
        "hub": {
            "config": {
                "JupyterHub": {
                    "load_groups": course_hub.groups(INSTRUCTORS),
                },
                "Authenticator": {"allowed_users": INSTRUCTORS, "allow_existing_users": True},
            },
            "loadRoles": roles,
            "services": {
                course_hub.COURSE_ID: formgrader,
                course_hub.NGSHARE_SERVICE: {"url": NGSHARE_URL},
                course_hub.ADMIN_SERVICE: {},
            },
            "extraConfig": {"sdh-role-config.py": role_config_snippet()},
        },
        "singleuser": {
            "image": {"name": "registry.example.org/system-design-hands-on", "tag": "set-me"},
            "cmd": "sdh-singleuser",  # the Dockerfile's: copies the course into a new home, runs jupyterhub-singleuser
            "defaultUrl": f"/lab/tree/{course_hub.COURSE_ID}/notebooks/00-start-here.ipynb",
            "memory": MEMORY,
            "cpu": CPU,
            "extraEnv": {
                "SDH_EXCHANGE": "ngshare",
                "SDH_NGSHARE_URL": f"{NGSHARE_URL}/services/{course_hub.NGSHARE_SERVICE}",
            },
        },
    }


def ngshare_values() -> dict[str, Any]:
    """The ngshare chart's values: its admins, and the hub it checks tokens with."""
    return {
        "ngshare": {
            "admins": course_hub.ngshare_admins(),
            "hub_api_url": "http://hub:8081/hub/api",
            # the same token as hub.services.ngshare.apiToken (kubectl get secret hub, README)
            "hub_api_token": "set-me",
        }
    }


class _Dumper(yaml.SafeDumper):
    """Writes text of several lines (hub.extraConfig's Python) as a YAML literal block."""


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _text)


def dump(data: dict[str, Any], header: str) -> str:
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000)


def main() -> int:
    (HERE / "values.yaml").write_text(dump(values(), HEADER))
    ngshare_header = (f"# ngshare's own chart: helm upgrade --install ngshare ngshare/ngshare --version "
                      f"{NGSHARE_CHART_VERSION} -f classroom/kubernetes/ngshare-values.yaml\n"
                      "# Written by classroom/kubernetes/make_values.py; not deployed by the tests.\n")  # fmt: skip
    (HERE / "ngshare-values.yaml").write_text(dump(ngshare_values(), ngshare_header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
