#!/usr/bin/env bash
# Copies a Python build that lives in a private home (pyenv's under /root, say: mode 700, so no
# student's server could start from it) to TARGET, where every account can run it:
#
#   classroom/relocate-python.sh SOURCE_PREFIX TARGET    e.g. classroom/relocate-python.sh "$(python3 -c 'import sys; print(sys.base_prefix)')" /opt/sdh/python
#
# It copies the interpreter, its shared library and the standard library (not site-packages, not
# the test suite) and points the interpreter at the copied library with Debian's patchelf
# (apt-get install patchelf): a pyenv build looks for libpython in SOURCE_PREFIX/lib otherwise.
set -euo pipefail
if (($# != 2)); then sed -n '2,9p' "$0" >&2; exit 2; fi
source=$1 target=$2
version="$("$source/bin/python3" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
umask 022
mkdir -p "$target/bin" "$target/lib"
cp -p "$source/bin/python$version" "$target/bin/"
ln -sf "python$version" "$target/bin/python3"
cp -a "$source"/lib/libpython"$version"*.so* "$target/lib/" 2>/dev/null || true
tar -C "$source/lib" --exclude="python$version/site-packages" --exclude="python$version/test" \
  --exclude=__pycache__ -cf - "python$version" | tar -C "$target/lib" -xf -
mkdir -p "$target/lib/python$version/site-packages"
if ls "$target"/lib/libpython"$version"*.so* >/dev/null 2>&1; then
  patchelf --set-rpath '$ORIGIN/../lib' "$target/bin/python$version"
fi
chmod -R a+rX "$target"
"$target/bin/python3" -c 'import sys, ssl, sqlite3, ctypes, venv; print(sys.prefix, sys.version.split()[0])'
