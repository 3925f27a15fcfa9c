"""Unit 09, versioning APIs and contracts: change a service without breaking the code that calls it.

``model`` (re-exported here) holds the concept: strict and tolerant readers (pydantic
models), the changes a provider makes and what each breaks, the failure share of a
rollout, plans that expand, migrate and contract, and versions in the URI, a header or the
media type. ``protos`` versions gRPC messages by package and ``reserved`` numbers; ``live``
runs the catalogue provider, its consumer, Pact's mock and verifier and a versioned gRPC
server on 127.0.0.1; ``plots`` and ``explorer`` draw it. Importing this package loads none
of them, and never pact itself.

Pact's Rust core sends usage telemetry unless ``PACT_DO_NOT_TRACK`` is set, so this
package sets it (if unset) before anything can import pact: nothing the course runs may
leave 127.0.0.1. The Makefile, ``.ci/run`` and Binder's ``./start`` export it too.
"""

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from helpers.versioning.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.versioning.model import __all__ as __all__
