"""A factor written as a Python expression in `epoch`, checked against an allow-list and evaluated with NumPy.

torch's LambdaLR and MultiplicativeLR take a function of the epoch (`lambda epoch: 0.95 ** epoch`);
tui-dl takes its body as text. The text is parsed with Python's `ast` and accepted only if every
node is on the allow-list below (numbers, `epoch`, arithmetic, comparisons, `a if c else b`, and a
few math functions): nothing is looked up, imported or called outside that list, and `eval` is
never used. The tree is then evaluated over a whole step array at once, so a curve of 100 000
steps is a handful of NumPy operations. The same tree, with math functions written `math.f`, is
the body of the lambda the code panel shows, so the shown code computes what was drawn.

Where Python raises for a value (`1 / epoch` at epoch 0, `math.log(0)`, `(-1) ** 0.5` gives a
complex number) the factor is NaN: torch would raise at that epoch.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from tui_dl.params import ParamError

VARIABLE = "epoch"
MAX_LENGTH = 300
CONSTANTS = {"pi": math.pi, "e": math.e}
# name -> (numpy function, number of arguments (None: two or more), written in code as)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int | None, str]] = {
    "abs": (np.abs, 1, "abs"),
    "min": (np.minimum, None, "min"),
    "max": (np.maximum, None, "max"),
    "float": (lambda x: np.asarray(x, dtype=np.float64), 1, "float"),
    "int": (np.trunc, 1, "int"),
    "round": (np.round, 1, "round"),
    "exp": (np.exp, 1, "math.exp"),
    "log": (np.log, 1, "math.log"),
    "log2": (np.log2, 1, "math.log2"),
    "log10": (np.log10, 1, "math.log10"),
    "sqrt": (np.sqrt, 1, "math.sqrt"),
    "sin": (np.sin, 1, "math.sin"),
    "cos": (np.cos, 1, "math.cos"),
    "tan": (np.tan, 1, "math.tan"),
    "tanh": (np.tanh, 1, "math.tanh"),
    "floor": (np.floor, 1, "math.floor"),
    "ceil": (np.ceil, 1, "math.ceil"),
}
_MATH = {name for name, (_, _, shown) in FUNCTIONS.items() if shown.startswith("math.")}
_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
           ast.FloorDiv: np.floor_divide, ast.Mod: np.mod, ast.Pow: np.power}
_COMPARE = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
            ast.Eq: np.equal, ast.NotEq: np.not_equal}
ALLOWED = (f"an expression in {VARIABLE}: numbers, pi, e, + - * / // % **, comparisons, and/or/not, "
           f"`a if c else b`, {' '.join(FUNCTIONS)} (math.f also works)")


@dataclass(frozen=True)
class Expression:
    """A checked expression: `source` as given, `code` as a lambda body that runs in Python."""

    source: str
    code: str
    tree: ast.expr

    def __call__(self, epoch: Any) -> np.ndarray:
        """The factor at every epoch (an array of any shape), float64; NaN where Python would raise."""
        x = np.asarray(epoch, dtype=np.float64)
        with np.errstate(all="ignore"):
            value = np.asarray(_evaluate(self.tree, x), dtype=np.float64)
            value = np.broadcast_to(value, x.shape).copy()
        value[~np.isfinite(value)] = np.nan
        return value


def _fail(source: str, why: str) -> ParamError:
    return ParamError(f"bad expression {source!r}: {why}; allowed: {ALLOWED}")


def compile_expression(source: str, what: str = "expression") -> Expression:
    """Parse and check source, or raise ParamError with one line naming it (as `what`) and what is allowed."""
    try:
        return _compile(source)
    except ParamError as error:
        raise ParamError(str(error).replace("bad expression", f"bad {what}", 1)) from None


@lru_cache(maxsize=256)
def _compile(source: str) -> Expression:
    text = source.strip()
    if text.startswith("lambda"):
        raise _fail(source, f"give the body only (`0.95 ** {VARIABLE}`), tui-dl writes `lambda {VARIABLE}:`")
    if not text or len(text) > MAX_LENGTH:
        raise _fail(source, f"expected 1 to {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise _fail(source, "not a Python expression") from None
    shown = _Canonical(source).visit(tree)
    return Expression(text, ast.unparse(ast.fix_missing_locations(shown)), tree)


def expression_check(what: str) -> Callable[[str], None]:
    """A ParamSpec.text_check for the parameter `what`: ParamError for a bad expression."""

    def check(source: str) -> None:
        compile_expression(source, what)

    return check


class _Canonical(ast.NodeTransformer):
    """Checks every node against the allow-list and writes math functions as `math.f` (the shown code)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def generic_visit(self, node: ast.AST) -> ast.AST:
        allowed = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.BoolOp, ast.operator, ast.unaryop,
                   ast.cmpop, ast.boolop, ast.Load)
        if not isinstance(node, allowed):
            raise _fail(self.source, f"{type(node).__name__.lower()} is not allowed")
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise _fail(self.source, "operator not allowed")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            raise _fail(self.source, "operator not allowed")
        if isinstance(node, ast.Compare) and any(type(op) not in _COMPARE for op in node.ops):
            raise _fail(self.source, "comparison not allowed")
        return super().generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _fail(self.source, f"{node.value!r} is not a number")
        if isinstance(node.value, int) and abs(node.value) > 2**53:
            raise _fail(self.source, f"{node.value} is larger than 2**53")
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == VARIABLE:
            return node
        if node.id in CONSTANTS:
            return ast.Attribute(ast.Name("math", ast.Load()), node.id, ast.Load())
        raise _fail(self.source, f"unknown name {node.id!r}")

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "math" and node.attr in CONSTANTS:
            return node
        raise _fail(self.source, f"unknown name {ast.unparse(node)!r}")

    def visit_Call(self, node: ast.Call) -> ast.AST:
        name = _function_name(node.func)
        if name is None or name not in FUNCTIONS:
            raise _fail(self.source, f"unknown function {ast.unparse(node.func)!r}")
        _, arity, _ = FUNCTIONS[name]
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args) or (
                len(node.args) != arity if arity is not None else len(node.args) < 2):
            expected = f"{arity} argument" + ("s" if arity != 1 else "") if arity else "2 or more arguments"
            raise _fail(self.source, f"{name}() takes {expected}")
        func: ast.expr = (ast.Attribute(ast.Name("math", ast.Load()), name, ast.Load()) if name in _MATH
                          else ast.Name(name, ast.Load()))
        return ast.Call(func, [self.visit(a) for a in node.args], [])


def _function_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "math":
        return func.attr if func.attr in _MATH else None
    return None


def _evaluate(node: ast.expr, x: np.ndarray) -> Any:
    """The value of a checked tree with `epoch` = x (vectorized)."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return x if node.id == VARIABLE else CONSTANTS[node.id]
    if isinstance(node, ast.Attribute):
        return CONSTANTS[node.attr]
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, x), _evaluate(node.right, x)
        if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)):
            right = np.where(np.asarray(right) == 0, np.nan, right)  # Python raises ZeroDivisionError
        if isinstance(node.op, ast.Pow):
            base, power = np.asarray(left, dtype=np.float64), np.asarray(right, dtype=np.float64)
            bad = ((base == 0) & (power < 0)) | ((base < 0) & (power != np.floor(power)))
            return np.where(bad, np.nan, np.power(base, power))
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, x)
        if isinstance(node.op, ast.Not):
            return np.logical_not(operand)
        return np.negative(operand) if isinstance(node.op, ast.USub) else np.asarray(operand, dtype=np.float64)
    if isinstance(node, ast.Compare):
        result, left = True, _evaluate(node.left, x)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, x)
            result = np.logical_and(result, _COMPARE[type(op)](left, right))
            left = right
        return result
    if isinstance(node, ast.BoolOp):
        values = [np.asarray(_evaluate(v, x), dtype=bool) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return result
    if isinstance(node, ast.IfExp):
        return np.where(_evaluate(node.test, x), _evaluate(node.body, x), _evaluate(node.orelse, x))
    if isinstance(node, ast.Call):
        name = _function_name(node.func)
        function, _, _ = FUNCTIONS[name]  # type: ignore[index]
        args = [_evaluate(a, x) for a in node.args]
        if name in ("log", "log2", "log10"):
            args[0] = np.where(np.asarray(args[0]) <= 0, np.nan, args[0])  # math.log raises ValueError
        elif name == "sqrt":
            args[0] = np.where(np.asarray(args[0]) < 0, np.nan, args[0])
        if name in ("min", "max"):
            result = args[0]
            for arg in args[1:]:
                result = function(result, arg)
            return result
        return function(*args)
    raise AssertionError(f"unchecked node {type(node).__name__}")
