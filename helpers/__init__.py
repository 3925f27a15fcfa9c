"""The Python package behind System Design Hands-On: one package per unit over a small kit.

Units (each lesson's concept in ``model``, re-exported by the package; its live servers in
``live``, figures in ``plots`` and explorer in ``explorer``):

    01  helpers.ipc        interprocess communication: sync chains, events, a broker
    02  helpers.rpc        RPC: stubs, marshalling, gRPC and XML-RPC, the cost of a remote call
    03  helpers.rest       REST: resources, methods, caching, hypermedia, an order API
    04  helpers.dns        DNS: records, caches, Route 53's routing policies, a DNS server
    05  helpers.balancing  load balancers: policies, queues, a reverse proxy
    06  helpers.cdn        CDNs: push and pull, TTL and LRU caches, an edge cache
    07  helpers.gateway    API gateways: rate limiters, allowlists, a TLS gateway
    08  helpers.hashing    consistent hashing: rings, virtual nodes, rendezvous and jump hash

The kit, which imports no unit: ``checks`` (argument checks), ``text`` (numbers as text),
``figures`` (colours and plot helpers), ``panels`` (a figure that redraws only its data),
``explorer`` (the explorers' base), ``quiz`` (self-checks), ``serving`` (127.0.0.1 servers),
``labserver`` (JupyterLab's kernel websockets without delay) and ``grading`` (``make grade``
and the class grading). This module imports nothing.
"""
