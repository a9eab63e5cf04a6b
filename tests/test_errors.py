"""Errors and problems: one base class, cites, reasons and hints that say what to do."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

import choice_workflow.errors as errors_module
from choice_workflow.cites import CITES, is_known
from choice_workflow.errors import (
    ChoiceWorkflowError,
    ClockError,
    ConcurrencyConflict,
    InvalidInput,
    NotPermitted,
    Problem,
    RulesError,
    Severity,
    TransitionRefused,
    UnknownEmployer,
    UnknownGrant,
    errors_only,
)

PACKAGE = Path(__file__).resolve().parent.parent / "choice_workflow"

LATE = Problem(
    ("15(j)",), "the acceptance window closed", "Ask the Director to reconsider.", "accepted_at"
)
TWICE = Problem(("15(g)", "10(3)"), "the employer was already awarded a grant", "", "employer_id")
AGAIN = Problem(("10(3)",), "a grant was already approved", "Ask the Director to reconsider.")


# -- the error hierarchy --------------------------------------------------------------------


def test_every_error_of_the_library_derives_from_one_base() -> None:
    classes = {
        obj
        for _, obj in inspect.getmembers(errors_module, inspect.isclass)
        if issubclass(obj, BaseException) and obj.__module__ == errors_module.__name__
    }
    expected = {
        ChoiceWorkflowError,
        ClockError,
        ConcurrencyConflict,
        InvalidInput,
        NotPermitted,
        RulesError,
        TransitionRefused,
        UnknownEmployer,
        UnknownGrant,
    }
    assert expected <= classes
    assert all(issubclass(cls, ChoiceWorkflowError) for cls in classes)


@pytest.mark.parametrize(
    ("error", "also"),
    [
        pytest.param(InvalidInput(problems=[LATE]), ValueError, id="invalid-input"),
        pytest.param(RulesError(problems=[LATE]), InvalidInput, id="rules-error"),
        pytest.param(UnknownGrant(grant_id="g-1"), LookupError, id="unknown-grant"),
        pytest.param(UnknownEmployer(employer_id="e-1"), LookupError, id="unknown-employer"),
    ],
)
def test_errors_are_also_the_builtin_kind_callers_expect(
    error: ChoiceWorkflowError, also: type[Exception]
) -> None:
    assert isinstance(error, also)
    assert isinstance(error, ChoiceWorkflowError)


def test_an_error_carries_cites_reason_and_hint_and_shows_them() -> None:
    error = ChoiceWorkflowError(
        reason="the window closed", cites=("15(j)", "15(i)"), hint="Reconsider the approval."
    )
    assert ("the window closed", ("15(j)", "15(i)"), "Reconsider the approval.") == (
        error.reason,
        error.cites,
        error.hint,
    )
    assert "the window closed. Reconsider the approval. [15(j), 15(i)]" == str(error)


def test_an_error_without_cites_or_hint_shows_its_reason_alone() -> None:
    error = ChoiceWorkflowError(reason="something went wrong")
    assert ((), "") == (error.cites, error.hint)
    assert "something went wrong." == str(error)


# -- InvalidInput ---------------------------------------------------------------------------


def test_invalid_input_needs_at_least_one_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        InvalidInput(problems=[])


def test_invalid_input_shows_its_first_problem_and_counts_the_rest() -> None:
    error = InvalidInput(problems=iter([LATE, TWICE, AGAIN]))
    assert (LATE, TWICE, AGAIN) == error.problems
    assert ("15(j)", "15(g)", "10(3)") == error.cites
    assert LATE.hint == error.hint
    assert (
        "accepted_at: the acceptance window closed (and 2 more). "
        "Ask the Director to reconsider. [15(j), 15(g), 10(3)]" == str(error)
    )


def test_invalid_input_without_a_field_shows_the_reason_alone() -> None:
    error = InvalidInput(problems=[AGAIN])
    assert "a grant was already approved. Ask the Director to reconsider. [10(3)]" == str(error)


# -- TransitionRefused, NotPermitted, lookups, conflicts ------------------------------------------


@pytest.mark.cite("15(j)", "15(g)", "10(3)")
def test_a_refused_transition_lists_every_problem() -> None:
    error = TransitionRefused(command="accept", grant_id="g-7", problems=[LATE, TWICE, AGAIN])
    assert ("accept", "g-7") == (error.command, error.grant_id)
    assert (LATE, TWICE, AGAIN) == error.problems
    assert ("15(j)", "15(g)", "10(3)") == error.cites
    for problem in (LATE, TWICE, AGAIN):
        assert problem.reason in str(error)
    # Each hint once, in order; an empty hint adds nothing.
    assert "Ask the Director to reconsider." == error.hint
    assert str(error).startswith("accept of grant g-7 refused: the acceptance window closed; ")


def test_a_refused_actor_says_who_may_not_do_what() -> None:
    error = NotPermitted(
        command="approve",
        actor="u-3",
        role="employer",
        reason="only the Director approves",
        hint="Ask them.",
    )
    assert ("approve", "u-3", "employer") == (error.command, error.actor, error.role)
    assert () == error.cites
    assert "u-3 (employer) may not approve: only the Director approves. Ask them." == str(error)


def test_unknown_ids_are_named_with_a_hint() -> None:
    grant, employer = UnknownGrant(grant_id="g-404"), UnknownEmployer(employer_id="e-404")
    assert "g-404" == grant.grant_id
    assert "e-404" == employer.employer_id
    assert "'g-404'" in str(grant)
    assert "'e-404'" in str(employer)
    assert grant.hint
    assert employer.hint


def test_a_concurrency_conflict_is_safe_to_retry() -> None:
    assert ConcurrencyConflict(reason="stream moved on").retryable is True


# -- Problem --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        pytest.param(
            LATE,
            "accepted_at: the acceptance window closed. Ask the Director to reconsider. [15(j)]",
            id="with-field",
        ),
        pytest.param(
            AGAIN,
            "a grant was already approved. Ask the Director to reconsider. [10(3)]",
            id="no-field",
        ),
        pytest.param(
            TWICE,
            "employer_id: the employer was already awarded a grant. [15(g), 10(3)]",
            id="no-hint",
        ),
    ],
)
def test_a_problem_reads_as_field_reason_hint_cites(problem: Problem, expected: str) -> None:
    assert expected == str(problem)


def test_warnings_do_not_refuse_and_errors_only_keeps_the_order() -> None:
    warning = Problem(
        ('10 "Eligible employer"',), "fewer than 4 employees", "", "", Severity.WARNING
    )
    assert LATE.is_error
    assert not warning.is_error
    assert (LATE, AGAIN) == errors_only([warning, LATE, warning, AGAIN])


# -- cites --------------------------------------------------------------------------------------


CITE_PARAMETERS = {"cite", "cites"}


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _cite_position(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """Where a function takes its cite(s) positionally, or None."""
    names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if names[:1] in (["self"], ["cls"]):
        names = names[1:]
    return next((k for k, name in enumerate(names) if name in CITE_PARAMETERS), None)


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def cite_positions(trees: Sequence[ast.AST]) -> dict[str, int | None]:
    """Where each function of the package takes its cites (Problem, an attrs class, first)."""
    positions: dict[str, int | None] = {"Problem": 0}
    for tree in trees:
        for function in _functions(tree):
            if _cite_position(function) is not None:
                positions[function.name] = _cite_position(function)
    return positions


class CiteCollector:
    """Every literal cite of a module: what is passed where a function takes its cites
    (positionally or as ``cite=`` / ``cites=``), and the defaults of such parameters.
    Module constants (``_CITES = ("15(b)(1)",)``) are followed."""

    def __init__(self, tree: ast.AST, package_positions: dict[str, int | None]) -> None:
        self.tree = tree
        # A function defined in the module shadows one of the same name elsewhere.
        local = {f.name: _cite_position(f) for f in _functions(tree)}
        self.positions = package_positions | local
        self.constants: dict[str, ast.expr] = {}
        for node in getattr(tree, "body", []):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = node.value
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.value is not None
            ):
                self.constants[node.target.id] = node.value

    def strings(self, node: ast.expr | None) -> Iterator[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                yield from self.strings(element)
        elif isinstance(node, ast.Name) and node.id in self.constants:
            yield from self.strings(self.constants[node.id])

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                position = self.positions.get(_callee(node))
                if position is not None and len(node.args) > position:
                    for cite in self.strings(node.args[position]):
                        yield node.lineno, cite
                for keyword in node.keywords:
                    if keyword.arg in CITE_PARAMETERS:
                        for cite in self.strings(keyword.value):
                            yield node.lineno, cite
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                positional = [*args.posonlyargs, *args.args]
                defaults = zip(
                    positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
                )
                kw_defaults = zip(args.kwonlyargs, args.kw_defaults, strict=True)
                for arg, default in (*defaults, *kw_defaults):
                    if arg.arg in CITE_PARAMETERS:
                        for cite in self.strings(default):
                            yield node.lineno, cite


def test_the_cite_collector_finds_every_form() -> None:
    helpers = ast.parse(
        "def ensure_instant(value, field='instant', cite='99'): pass\n"
        "def to_money(value, field='amount', cites=('15(h)',)): pass\n"
    )
    source = ast.parse(
        "_CITES = ('15(b)(1)',)\n"
        "def bad(cite, field, reason, hint): pass\n"
        "def f(x, *, cites=('15(i)',)): pass\n"
        "class C:\n"
        "    def check(self, cites, reason): pass\n"
        "Problem(('15(g)', '10(3)'), 'r', 'h')\n"
        "errors.Problem(cites=('15(j)',), reason='r', hint='h')\n"
        "Problem(_CITES, 'r', 'h')\n"
        "bad('15(a)', 'first_award_date', 'r', 'h')\n"
        "ensure_instant(v, 'when', '15(f)')\n"
        "to_money(v, 'amount', ('15(b)(3)',))\n"
        "C().check(('15(c)',), 'r')\n"
        "ChoiceWorkflowError('r', cites=('35(c)',))\n"
        "Problem(cites, 'not', 'literal')\n"
        "print('not a cite', 'nor this')\n"
    )
    positions = cite_positions([helpers, source])
    found = sorted(cite for _, cite in CiteCollector(source, positions))
    expected = ["10(3)", "15(a)", "15(b)(1)", "15(b)(3)", "15(c)", "15(f)", "15(g)", "15(i)"]
    expected += ["15(j)", "35(c)"]
    assert sorted(expected) == found
    assert ["15(h)", "99"] == sorted(cite for _, cite in CiteCollector(helpers, positions))


def test_a_local_function_shadows_a_cite_taker_of_the_same_name() -> None:
    elsewhere = ast.parse("def bad(cite, field, reason, hint): pass\n")
    here = ast.parse("def bad(column, reason, hint): pass\nbad('fips', 'r', 'h')\n")
    assert [] == list(CiteCollector(here, cite_positions([elsewhere, here])))


def test_every_cite_in_the_package_source_is_a_cite_of_the_act() -> None:
    paths = sorted(PACKAGE.rglob("*.py"))
    trees = [ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in paths]
    positions = cite_positions(trees)
    found: dict[str, list[str]] = {}
    for path, tree in zip(paths, trees, strict=True):
        for line, cite in CiteCollector(tree, positions):
            found.setdefault(cite, []).append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    unknown = {cite: where for cite, where in found.items() if cite not in CITES}
    assert {} == unknown
    # The scan must see the package's cites, or it proves nothing.
    assert {"99", "15(a)", "15(f)", "15(h)", "15(j)", "15(l)", "35(c)"} <= set(found)


def test_cites_are_the_acts_provisions_with_a_summary() -> None:
    assert all(summary.strip() for summary in CITES.values())
    assert is_known("15(j)")
    assert not is_known("15(k)")
    assert not is_known("15 (j)")
    with pytest.raises(TypeError):
        CITES["15(z)"] = "not allowed"  # type: ignore[index]  # the mapping is read-only
