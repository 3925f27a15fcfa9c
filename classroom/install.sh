#!/usr/bin/env bash
# Builds a class's environments under PREFIX, from a learner release (make release DIR=RELEASE):
#
#   classroom/install.sh PYTHON PREFIX RELEASE      e.g. classroom/install.sh /opt/sdh/python/bin/python3.11 /opt/sdh /srv/sdh/release
#
#   PREFIX/venv            the hub and every user's server: environment.yml's pip section (the learners'
#                          pins), classroom/requirements-hub.txt, requirements-no-deps.txt without their
#                          dependencies, then RELEASE's postBuild (the learner set-up; the course's helpers
#                          installed from RELEASE)
#   PREFIX/ngshare         ngshare in an environment of its own (classroom/requirements-ngshare.txt)
#   PREFIX/jupyter-config  the per-role Jupyter config folders (classroom/jupyter-config)
#
# PYTHON must be a Python 3.11 that every account can run (Debian 12's /usr/bin/python3 is one): not inside a private home
# (README "Running it for a class"; classroom/relocate-python.sh copies one out). Run as root.
set -euo pipefail
if (($# != 3)); then sed -n '2,15p' "$0" >&2; exit 2; fi
python=$1 prefix=$2 release=$3
classroom="$(cd "$(dirname "$0")" && pwd)"
umask 022
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "$python: the course needs Python 3.11" >&2; exit 2; }
[[ -d "$release/notebooks" && ! -e "$release/solutions" ]] || { echo "$release is not a learner release (make release DIR=...)" >&2; exit 2; }
pip=(--disable-pip-version-check --quiet)

mkdir -p "$prefix"
test -x "$prefix/venv/bin/python" || "$python" -m venv "$prefix/venv"
sed -n 's/^ *- \([A-Za-z0-9_.-]*==[^ #]*\).*$/\1/p' "$release/environment.yml" > "$prefix/venv/requirements-learners.txt"
"$prefix/venv/bin/python" -m pip install "${pip[@]}" -r "$prefix/venv/requirements-learners.txt" -r "$classroom/requirements-hub.txt"
"$prefix/venv/bin/python" -m pip install "${pip[@]}" --no-deps -r "$classroom/requirements-no-deps.txt"
chmod -R a+rX "$release"
(cd "$release" && PATH="$prefix/venv/bin:$PATH" bash postBuild)

test -x "$prefix/ngshare/bin/python" || "$python" -m venv "$prefix/ngshare"
"$prefix/ngshare/bin/python" -m pip install "${pip[@]}" -r "$classroom/requirements-ngshare.txt"

rm -rf "$prefix/jupyter-config"
cp -R "$classroom/jupyter-config" "$prefix/jupyter-config"
chmod -R a+rX "$prefix"
# trap 1 of a class: an interpreter or environment that other accounts cannot read stops every server
runuser -u nobody -- "$prefix/venv/bin/python" -c 'import helpers, jupyterhub, nbgrader' \
  || { echo "another account cannot run $prefix/venv/bin/python: put Python and $prefix where every account can read them" >&2; exit 1; }
echo "installed the classroom environments in $prefix"
