"""Exercise 08 (hash-ring) grades what learners really write: wrong answers fail and say why, other right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py). Part D is a
written answer: a person grades it, so it has no answers here.
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "08-consistent-hashing", "hash-ring.ipynb"

BISECT_BY_HAND = '''class Ring:
    """A consistent-hash ring with virtual nodes, searched by hand."""

    def __init__(self, nodes: list[str], virtual_nodes: int) -> None:
        if not nodes or len(set(nodes)) < len(nodes) or virtual_nodes < 1:
            raise ValueError(f"need distinct nodes and virtual_nodes >= 1, got {nodes} and {virtual_nodes}")
        self.nodes, self.virtual_nodes = list(nodes), virtual_nodes
        self._rebuild()

    def _rebuild(self) -> None:
        table = {stable_hash(f"{name}#{i}"): name for name in self.nodes for i in range(self.virtual_nodes)}
        self.positions = sorted(table)
        self.owners = [table[position] for position in self.positions]

    def node_for(self, key: str) -> str:
        h, low, high = stable_hash(key), 0, len(self.positions)
        while low < high:
            middle = (low + high) // 2
            if self.positions[middle] < h:
                low = middle + 1
            else:
                high = middle
        return self.owners[low % len(self.positions)]

    def add_node(self, name: str) -> None:
        if name in self.nodes:
            raise ValueError(f"{name} is already on the ring")
        self.nodes.append(name)
        self._rebuild()

    def remove_node(self, name: str) -> None:
        if name not in self.nodes or len(self.nodes) == 1:
            raise ValueError(f"cannot remove {name}")
        self.nodes.remove(name)
        self._rebuild()
'''

COMPREHENSIONS = '''def moved_fraction(before: dict[str, str], after: dict[str, str]) -> float:
    """Fraction of keys whose node differs between two placements of the same keys."""
    if not before or before.keys() != after.keys():
        raise ValueError("need two non-empty placements of the same keys")
    changed = [key for key in before if before[key] != after[key]]
    return len(changed) / len(before)


def measure_growth(n: int, virtual_nodes: int, keys: list[str]) -> tuple[float, float]:
    """Fractions of keys moved going from n to n+1 nodes: (on a Ring, with mod-N)."""
    small = Ring([f"node-{i}" for i in range(n)], virtual_nodes)
    big = Ring([f"node-{i}" for i in range(n + 1)], virtual_nodes)
    ring = moved_fraction({k: small.node_for(k) for k in keys}, {k: big.node_for(k) for k in keys})
    hashes = {k: stable_hash(k) for k in keys}
    mod_n = moved_fraction({k: f"node-{h % n}" for k, h in hashes.items()},
                           {k: f"node-{h % (n + 1)}" for k, h in hashes.items()})
    return ring, mod_n
'''

INTEGER_CAPACITY = '''def place_bounded(ring: Ring, keys: list[str], epsilon: float) -> dict[str, str]:
    """Placement of keys, in order, with no node above ceil((1 + epsilon) * m / n) keys."""
    if epsilon < 0:
        raise ValueError("epsilon must not be negative")
    from fractions import Fraction

    exact = (1 + Fraction(epsilon)) * len(keys) / len(ring.nodes)
    capacity = -(-exact.numerator // exact.denominator)  # ceiling of a fraction, in integers
    taken = {node: 0 for node in ring.nodes}
    result = {}
    for key in keys:
        start = bisect.bisect_left(ring.positions, stable_hash(key))
        for step in range(len(ring.positions)):
            owner = ring.owners[(start + step) % len(ring.positions)]
            if taken[owner] < capacity:
                break
        taken[owner] += 1
        result[key] = owner
    return result
'''

ANSWERS = [
    # Part A: the ring
    Answer("A", "no wrap-around past the last point",
           {"ring": ("        if index == len(self.positions):\n            index = 0\n", "")},
           fails={"test_ring_lookup": "index out of range", "test_ring_changes": "index out of range",
                  "test_measure_growth": "index out of range"}),
    Answer("A", "points named name-i instead of name#i",
           {"ring": ('stable_hash(f"{name}#{i}")', 'stable_hash(f"{name}-{i}")')},
           fails={"test_ring_lookup": "expected 'a'", "test_measure_growth": "the ring moved",
                  "test_bounded_walk": "keys misplaced"}),
    Answer("A", "add_node forgets to rebuild the points",
           {"ring": ('        self.__init__([*self.nodes, name], self.virtual_nodes)',
                     '        self.nodes.append(name)')},
           fails={"test_ring_changes": "should move to node-5 only",
                  "test_measure_growth": "the ring moved 0.000"}),
    Answer("A", "removing an unknown node is ignored",
           {"ring": ('raise ValueError(f"{name!r} is not on the ring")', "return")},
           fails={"test_ring_changes": "must raise ValueError"}),
    Answer("A", "wraps the ring's own HashRing", {"ring": '''class Ring:
    """A thin wrapper around the course's ring."""

    def __init__(self, nodes: list[str], virtual_nodes: int) -> None:
        self.nodes, self.virtual_nodes = list(nodes), virtual_nodes
        self._ring = helpers.hashing.HashRing(self.nodes, virtual_nodes=virtual_nodes)
        self.positions, self.owners = self._ring.positions.tolist(), [self.nodes[i] for i in self._ring.owners]

    def node_for(self, key: str) -> str:
        return self._ring.node_for(key)

    def add_node(self, name: str) -> None:
        self.__init__([*self.nodes, name], self.virtual_nodes)

    def remove_node(self, name: str) -> None:
        self.__init__([node for node in self.nodes if node != name], self.virtual_nodes)
'''}, fails={"test_ring_lookup": "graded on your own code", "test_ring_changes": "graded on your own code",
          "test_measure_growth": "graded on your own code"}),
    Answer("A", "a binary search and a dict, written by hand", {"ring": BISECT_BY_HAND}),
    # Part B: keys moved
    Answer("B", "moved_fraction counts keys instead of the fraction",
           {"moved": ("return sum(before[key] != after[key] for key in before) / len(before)",
                      "return sum(before[key] != after[key] for key in before)")},
           fails={"test_moved_fraction": "the fraction is 0.5", "test_measure_growth": "the ring moved 458"}),
    Answer("B", "moved_fraction never checks the keys",
           {"moved": ('    if set(before) != set(after):\n        raise ValueError("both placements must hold the same '
                      'keys")\n    if not before:\n        raise ValueError("placements are empty")\n', "")},
           fails={"test_moved_fraction": "must raise ValueError: the two placements must hold the same keys"}),
    Answer("B", "measure_growth returns mod-N first",
           {"moved": ("return moved_fraction(ring_before, ring_after), moved_fraction(mod_before, mod_after)",
                      "return moved_fraction(mod_before, mod_after), moved_fraction(ring_before, ring_after)")},
           fails={"test_measure_growth": "the ring's fraction first"}),
    Answer("B", "mod-N uses n + 1 nodes before and after",
           {"moved": ('mod_before = {key: f"node-{stable_hash(key) % n}" for key in keys}',
                      'mod_before = {key: f"node-{stable_hash(key) % (n + 1)}" for key in keys}')},
           fails={"test_measure_growth": "mod-N moved 0.000"}),
    Answer("B", "comprehensions and two rings", {"moved": COMPREHENSIONS}),
    # Part C: bounded loads
    Answer("C", "capacity counts distinct keys, so walks never end",
           {"bounded": ("math.ceil((1 + epsilon) * len(keys) / len(ring.nodes))",
                        "math.ceil((1 + epsilon) * len(set(keys)) / len(ring.nodes))")},
           fails={"test_bounded_capacity": "Part C: your code was still running",
                  "test_bounded_walk": "Part C: your code was still running"}),
    Answer("C", "capacity rounded down", {"bounded": ("math.ceil((1 + epsilon) * len(keys) / len(ring.nodes))",
                                                      "int((1 + epsilon) * len(keys) / len(ring.nodes))")},
           fails={"test_bounded_walk": "Part C: your code was still running"}),
    Answer("C", "no walk: every key stays on its own node",
           {"bounded": ("        while load[ring.owners[index]] >= capacity:\n"
                        "            index = (index + 1) % len(ring.positions)\n", "")},
           fails={"test_bounded_capacity": "give a capacity of 2", "test_bounded_walk": "must end up displaced"}),
    Answer("C", "a repeated key keeps its first node", {"bounded": ("        placement[key] = node",
                                                                    "        placement.setdefault(key, node)")},
           fails={"test_bounded_walk": "the dict keeps each key's last placement"}),
    Answer("C", "capacity as an exact fraction, the walk as a for loop", {"bounded": INTEGER_CAPACITY}),
]


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABC")
