"""The cells of a chapter that its exercises need: the grader runs those, then the exercises.

A chapter's exercises read a few names from the chapter above them: its imports, Otter's
``grader``, or whatever a student chose to reuse in an answer (a model, a corpus). The rest of
the chapter (training runs, measurements, plots) takes most of the time the notebook needs to
run, and earns no point. So the grader's guard (:class:`bahdanau.exercises.guard.Guard`) runs
only the cells :func:`needed_cells` keeps.

The analysis follows names backwards from the exercises. A cell of the chapter is kept when it
may change a name that the exercises, or a cell kept after it, read: it assigns, imports or
defines the name, assigns an item or an attribute of it, calls a method of it, or hands it to a
function. Then the names the kept cell reads are needed in turn. Every cell is kept when the
analysis cannot see which names are read: code that does not parse, IPython magics (``%%time``
runs code the parser sees as a string), or names reached by string (``eval``, ``globals``, ...).
Markdown and raw cells are kept as they are.

A kept cell of the chapter runs without its imports that bind only names nothing reads after
them (:func:`needed_code`): a chapter's cell of imports also imports what only its prose and
plots use (``import d2l.torch`` alone takes seconds, in every graded notebook).
"""

from __future__ import annotations

import ast
import builtins
from collections import Counter
from collections.abc import Sequence

__all__ = ["needed_cells", "needed_code", "EXERCISES_HEADING"]

# The heading that opens a chapter's exercises (the chapters' and the assignments' notebooks).
EXERCISES_HEADING = "## Exercises"
# Built-ins that reach names by string or run code the parser cannot see.
DYNAMIC = frozenset({"eval", "exec", "compile", "globals", "locals", "vars", "__import__", "get_ipython"})


def _python(source: str) -> ast.Module | None:
    """The cell's statements, or None when they cannot be known (no parse, or IPython syntax)."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return None  # a syntax error, or a magic (%, !): IPython syntax, opaque here


def _base(node: ast.AST) -> str | None:
    """The name under ``x``, ``x.a``, ``x[i]``, ``x.a[i].b``: ``x``."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _reads(node: ast.AST) -> set[str]:
    """The names ``node`` reads from the notebook: a function's, a lambda's or a comprehension's own
    names (parameters, locals, loop variables) are not the notebook's."""
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) else set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = node.args
        outside = [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None),
                   *getattr(node, "decorator_list", []), *([node.returns] if getattr(node, "returns", None) else [])]
        body = node.body if isinstance(node.body, list) else [node.body]
        parameters = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                      *filter(None, [arguments.vararg, arguments.kwarg])]}
        declared = {name for n in body for m in ast.walk(n) if isinstance(m, ast.Global) for name in m.names}
        defined = {m.name for n in body for m in ast.walk(n)
                   if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        local = (parameters | defined | set().union(*map(_assigned, body), *map(_imported, body))) - declared
        return set().union(*map(_reads, outside)) | (set().union(*map(_reads, body)) - local)
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        loop = set().union(*(_assigned(c.target) for c in node.generators))
        return set().union(*map(_reads, ast.iter_child_nodes(node))) - loop
    return set().union(set(), *map(_reads, ast.iter_child_nodes(node)))


def _imported(node: ast.AST) -> set[str]:
    return {(alias.asname or alias.name).split(".")[0] for n in ast.walk(node)
            if isinstance(n, (ast.Import, ast.ImportFrom)) for alias in n.names}


def _assigned(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


def _may_change(node: ast.AST, modules: set[str]) -> set[str]:
    """Every name ``node`` may bind or change: assigned, deleted, imported, defined, an item or an
    attribute assigned, a method called, or handed to a function. Calling a function of an
    imported module (``torch.zeros``, ``plt.subplots``) changes no name."""
    changed = _assigned(node)
    for n in ast.walk(node):
        if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, (ast.Store, ast.Del)):
            changed.add(_base(n))
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            changed |= _imported(n)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            changed.add(n.name)
        elif isinstance(n, ast.Call):
            given = [*n.args, *(k.value for k in n.keywords)]  # fit(model, ...)
            if isinstance(n.func, ast.Attribute):
                given.append(n.func.value)  # model.eval(), history.append(...)
            # not torch.zeros(...) or inspect.signature(bahdanau.translate)
            changed |= {_base(value) for value in given} - modules
    return changed - {None}


def _binds(statement: ast.stmt) -> set[str]:
    """The names a top-level statement surely binds (not those bound only on some path)."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return _imported(statement)
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return set()


def _outside_reads(statements: list[ast.stmt], bound: set[str]) -> set[str]:
    """The names ``statements`` read before binding them themselves (``bound`` grows)."""
    reads = set()
    for statement in statements:
        reads |= _reads(statement) - bound
        bound |= _binds(statement)
    return reads


def _import_touches(statement: ast.Import | ast.ImportFrom) -> set[str] | None:
    """The names an import binds, and the packages it loads submodules into (``import a.b as c``
    binds ``c`` and makes ``a.b`` reachable from ``a``); None for a relative import."""
    if isinstance(statement, ast.ImportFrom):
        if statement.level or statement.module is None:
            return None
        return _imported(statement) | {statement.module.split(".")[0]}
    return _imported(statement) | {alias.name.split(".")[0] for alias in statement.names}


def _without_unread_imports(source: str, tree: ast.Module, read_after: set[str]) -> str:
    """``source`` without its top-level imports that touch (:func:`_import_touches`) no name that
    ``read_after`` holds or the cell's other statements read. An import that shares a line with
    another statement stays, and so do ``from __future__`` and relative imports."""
    read = read_after | _reads(tree)  # an import reads no name: the other statements' reads
    spans = [range(statement.lineno - 1, statement.end_lineno) for statement in tree.body]  # 0-based lines
    statements_on = Counter(line for span in spans for line in span)
    dropped: set[int] = set()
    for statement, span in zip(tree.body, spans, strict=True):
        if not isinstance(statement, (ast.Import, ast.ImportFrom)):
            continue
        touched = _import_touches(statement)
        if touched is None or "__future__" in touched or touched & read:
            continue
        if any(statements_on[line] > 1 for line in span):
            continue  # import a; b = a.x: one line, kept whole
        dropped.update(span)
    return "".join(line for number, line in enumerate(source.splitlines(keepends=True)) if number not in dropped)


def needed_code(cells: Sequence[dict]) -> list[tuple[int, str]]:
    """The cells to run and what each runs: ``(index, source)`` in order.

    The cells are :func:`needed_cells`'s. A cell from :data:`EXERCISES_HEADING` on, a markdown or
    raw cell, and every cell when the analysis keeps them all, runs its own source; a kept code
    cell of the chapter runs without the top-level imports whose names (and packages) neither the
    cells after it (kept ones and the exercises) nor its own other statements read.
    """
    everything = [(i, cell["source"]) for i, cell in enumerate(cells)]
    start = next((i for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"
                  and cell["source"].lstrip().startswith(EXERCISES_HEADING)), None)
    if start is None:
        return everything
    statements = []
    for cell in cells[start:]:
        if cell["cell_type"] == "code":
            tree = _python(cell["source"])
            if tree is None:
                return everything
            statements += tree.body
    needed = _outside_reads(statements, set())
    trees = {i: _python(cell["source"]) for i, cell in enumerate(cells[:start]) if cell["cell_type"] == "code"}
    parsed = [tree for tree in trees.values() if tree is not None]
    # Names imported and never assigned (modules, the package's functions and classes) and
    # Python's built-ins: calling them or handing them over (map(len, ...)) changes nothing.
    modules = (set().union(*map(_imported, parsed)) | set(dir(builtins))) - set().union(*map(_assigned, parsed))
    keep = {i: cells[i]["source"] for i in range(start, len(cells))}
    for index in reversed(range(start)):
        if needed & DYNAMIC:
            return everything  # names reached by string: every cell before may matter
        tree = trees.get(index)
        if index not in trees:  # markdown or raw
            keep[index] = cells[index]["source"]
        elif tree is None:
            return everything  # what it changes is unknown: every cell before may matter
        elif _may_change(tree, modules) & needed:
            keep[index] = _without_unread_imports(cells[index]["source"], tree, needed)
            needed |= _outside_reads(tree.body, set())
    return everything if needed & DYNAMIC else sorted(keep.items())


def needed_cells(cells: Sequence[dict]) -> list[int]:
    """The indices of the cells to run: every cell from :data:`EXERCISES_HEADING` on, every
    markdown or raw cell, and the code cells of the chapter that the exercises need.

    ``cells``: a notebook's cells (nbformat's dicts: ``cell_type`` and ``source``). Without the
    heading, or when the exercises' code cannot be read, every cell is kept.
    """
    return [index for index, _ in needed_code(cells)]
