"""Which notebook cells show a model trained in the notebook itself ("live" cells).

A model trained live ends a few digits apart on different CPUs (AVX2 and AVX-512 kernels sum
in different orders), so what such a cell prints cannot be compared exactly by nbval: it is
tagged ``nbval-ignore-output`` and asserts its claim with a tolerance instead. Inference from
the shipped checkpoints agrees across CPUs and stays compared.

The analysis follows names through the cells, statement by statement: a call of one of
:data:`TRAINING_CALLS` makes its cell live and taints what it assigns and the models it is
given (trained in place); a statement that reads a tainted name taints what it writes; a
name rebound from a clean value is clean again.
"""

from __future__ import annotations

import ast

# The package's functions that train a model (bahdanau.training.fit, the train program,
# chapter 2's compare_scoring, which trains one model per scoring function).
TRAINING_CALLS = frozenset({"fit", "train_preset", "compare_scoring"})
MUTATING_METHODS = frozenset({"append", "extend", "update", "add"})


def _name(call: ast.Call) -> str | None:
    return getattr(call.func, "id", getattr(call.func, "attr", None))


def _trains(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and _name(n) in TRAINING_CALLS for n in ast.walk(node))


def _trained_models(node: ast.AST) -> set[str]:
    """The names handed to a training call: trained in place."""
    return {arg.id for n in ast.walk(node) if isinstance(n, ast.Call) and _name(n) in TRAINING_CALLS
            for arg in n.args if isinstance(arg, ast.Name)}


def _reads(node: ast.AST) -> set[str]:
    """Names read by ``node``, less those bound by its own comprehensions and lambdas."""
    bound = set()
    for n in ast.walk(node):
        if isinstance(n, ast.comprehension):
            bound |= {m.id for m in ast.walk(n.target) if isinstance(m, ast.Name)}
        elif isinstance(n, ast.Lambda):
            bound |= {a.arg for a in n.args.args}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


def _writes(node: ast.AST) -> set[str]:
    """Names bound or changed by ``node``: assigned, item- or attribute-assigned, appended to."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.ctx, ast.Store):
            base = n
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                out.add(base.id)
        elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in MUTATING_METHODS
              and isinstance(n.func.value, ast.Name)):
            out.add(n.func.value.id)
    return out


def _run(statements: list[ast.stmt], tainted: set[str]) -> bool:
    """Follow ``statements`` in order, updating ``tainted``; True if any of them is live."""
    live = False
    for stmt in statements:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue
        if isinstance(stmt, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
            head = getattr(stmt, "iter", None) or getattr(stmt, "test", None)
            if head is not None and _reads(head) & tainted:
                live = True
                if isinstance(stmt, ast.For):
                    tainted |= _writes(stmt.target)
            elif isinstance(stmt, ast.For):
                tainted -= _writes(stmt.target)  # each turn binds a clean value
            for part in ("body", "orelse", "finalbody"):
                live |= _run(getattr(stmt, part, []), tainted)
            for handler in getattr(stmt, "handlers", []):
                live |= _run(handler.body, tainted)
            continue
        if _trains(stmt) or _reads(stmt) & tainted:
            live = True
            tainted |= _writes(stmt) | _trained_models(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            for target in getattr(stmt, "targets", [getattr(stmt, "target", None)]):
                if isinstance(target, (ast.Name, ast.Tuple, ast.List)):  # rebound, not changed
                    tainted -= _writes(target)
    return live


def live_cells(sources: list[str]) -> list[int]:
    """The indices (into ``sources``, the code cells in order) of the live cells."""
    tainted: set[str] = set()
    live = []
    for index, source in enumerate(sources):
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        if _run(ast.parse(code).body, tainted):
            live.append(index)
    return live
