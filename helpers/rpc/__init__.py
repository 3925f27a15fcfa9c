"""Unit 02, RPC: call a function in another process, and count what the disguise costs (lesson 02).

``model`` (re-exported here) holds the concept: interfaces compiled by protoc at run time,
what a protobuf message looks like on the wire (and which interface changes old stubs
survive), the sizes of one message in JSON, protobuf and XML-RPC, and the cost of a
remote call and of many. ``live`` runs gRPC and XML-RPC servers and their client stubs
on 127.0.0.1, ``plots`` draws bytes, call times and round trips, and ``explorer`` is the
lesson's explorer; importing this package loads none of them (nor gRPC).
"""

from helpers.rpc.model import *  # noqa: F403  (the model is the unit's public face)
from helpers.rpc.model import __all__ as __all__
