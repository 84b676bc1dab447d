"""Mutation testing of the code behind every number on screen, with mutmut 3 (docs/mutation.md).

    python tools/mutation.py run              # mutmut run: every mutant of the files below, again
    python tools/mutation.py run NAME...      # only these mutants (after a new test, say)
    python tools/mutation.py report           # score per file; each survivor with its reason

mutmut mutates the files of pyproject.toml's [tool.mutmut] only_mutate: the trainer (nn.py,
train.py) and the number formatting (draw/numbers.py). Named, mutmut runs a mutant again
whether it has a result or not. Its results stay in mutants/ (git-ignored). `report` gives
each survivor the reason REASONS has for it (the first pattern that matches), and prints the
diff of any survivor without one: that is a mutant to kill with a test, or to explain here.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code  # mutmut's own reading of its exit codes

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 1  # one mutant at a time: the machine is shared, and the tests time themselves

PATTERNS = ["vizff.nn.*", "vizff.train.*", "vizff.draw.numbers.*"]

# Why each surviving mutant is left alive, by fnmatch pattern on its name (the first match wins).
# Only these kinds: an equivalent mutant, error-message wording, the console's time estimate,
# warnings, and the few named one by one with their own reason.
_TIMING = (
    "the time estimate behind the console's 'this will take about N' warning: no number in a "
    "frame; a measured wall time, which its tests can only check for plausibility"
)
_WORDING = "error-message wording (the key, the check and the refusal are tested)"
_ERRSTATE = "np.errstate(all=None) keeps numpy's defaults: a RuntimeWarning, the same numbers"
REASONS: dict[str, str] = {
    "vizff.nn.x_estimate_gradient_seconds__mutmut_*": _TIMING,
    "vizff.nn.x__probe_*": _TIMING,
    "vizff.train.x_estimated_seconds__mutmut_*": _TIMING,
    "vizff.train.x__timed__mutmut_*": _TIMING,
    "vizff.draw.numbers.x_fixed__mutmut_1[34]": "equivalent: value is +-inf there, > 0, >= 0 "
    "and > 1 agree",
    "vizff.draw.numbers.x_signed__mutmut_12": "equivalent: a value of 0 rounds to 0 and gets + "
    "either way",
    "vizff.nn.x_numerical_gradient__mutmut_[24]": "equivalent: astype(None) is float64",
    "vizff.nn.x_numerical_gradient__mutmut_1[14]": "equivalent: numpy reads any negative size in "
    "reshape as -1",
    "vizff.nn.x_numerical_gradient__mutmut_38": "equivalent: a network has one dtype",
    "vizff.nn.x_softmax__mutmut_7": "equivalent: axis +1 is -1 for the (batch, classes) arrays "
    "every caller passes",
    "vizff.nn.x_softmax__mutmut_17": "equivalent: axis +1 is -1 for the (batch, classes) arrays "
    "every caller passes",
    "vizff.nn.x__base_pass__mutmut_4": "equivalent: astype(None) is float64",
    "vizff.nn.x__base_pass__mutmut_10": "equivalent: astype(None) is float64",
    "vizff.nn.x__base_pass__mutmut_4[57]": "equivalent: labels are integer arrays already",
    "vizff.nn.x__losses_of_shifted_logits__mutmut_18": "equivalent: finfo(None) is float64's",
    "vizff.nn.x__losses_of_shifted_logits__mutmut_*": "equivalent: out= only reuses memory",
    "vizff.nn.x__layer_nudged_losses__mutmut_1[5]": "the untouched samples' losses are added to "
    "L(+h) and L(-h) alike and cancel in their difference (to about 1e-11 of an entry)",
    "vizff.nn.x__layer_nudged_losses__mutmut_2[123]": "the untouched samples' losses are added "
    "to L(+h) and L(-h) alike and cancel in their difference (to about 1e-11 of an entry)",
    "vizff.nn.x__layer_nudged_losses__mutmut_60": "equivalent: rows are >= 0, so prepend -2 "
    "marks the same starts as -1",
    "vizff.nn.x__layer_nudged_losses__mutmut_83": "equivalent: axis=0 is reduceat's default",
    "vizff.nn.x__blocks__mutmut_*": "block sizes: the same entries in other blocks (memory and "
    "speed; sums regrouped, about 1e-11 of an entry, below float32 and every digit shown)",
    "vizff.nn.x_incremental_numerical_gradient__mutmut_13": "equivalent: a network has one dtype",
    "vizff.nn.x_incremental_numerical_gradient__mutmut_[234]?": "blocks that overlap or start "
    "earlier: the same entries computed again, with the same values (only slower)",
    "vizff.nn.x_incremental_numerical_gradient__mutmut_7[234]": "the number of threads: the "
    "blocks, and so the result, do not depend on it (tested at 1 and 3 workers)",
    "vizff.nn.x_descend__mutmut_6": "equivalent: a network has one dtype",
    "vizff.train.x__freeze__mutmut_1": "equivalent: numpy reads writeable = None as False",
    "vizff.train.x_train__mutmut_[24]": "equivalent for the numbers: user_api=None limits every "
    "thread pool to one thread, BLAS's included",
    "vizff.train.x_evaluate__mutmut_1": _ERRSTATE,
    "vizff.train.x__measure__mutmut_6": _ERRSTATE,
    "vizff.train.x__train__mutmut_50": _ERRSTATE,
    "vizff.train.x__train__mutmut_117": _ERRSTATE,
    "vizff.train.x__train__mutmut_163": _ERRSTATE,
    "vizff.train.x__bad__mutmut_2": "differs only for a loss of exactly 10 ln 10, which the "
    "comment calls a bound ('above'): no run lands on it",
    "vizff.train.x__train__mutmut_18": "the test split in float64 in a float32 run: the test "
    "loss moves by float32 rounding (about 1e-7), below the 4 decimals shown; no bit-exact "
    "float32 oracle is written for it",
    "vizff.train.xǁTrainConfigǁ__post_init____mutmut_*": _WORDING,
    "vizff.train.xǁTrainConfigǁ_check_counts__mutmut_*": _WORDING,
    "vizff.train.xǁTrainConfigǁtotal_steps__mutmut_8": _WORDING,
    "vizff.train.x_diverged__mutmut_*": _WORDING,
    "vizff.train.x__train__mutmut_9[12]": _WORDING,
}


def reason(mutant: str) -> str | None:
    return next(
        (why for pattern, why in REASONS.items() if fnmatch.fnmatchcase(mutant, pattern)), None
    )


def selected() -> dict[str, dict[str, str]]:
    """{file: {mutant: status}} for the mutants PATTERNS select, from mutmut's mutants/*.meta."""
    results: dict[str, dict[str, str]] = {}
    for meta in sorted((ROOT / "mutants" / "vizff").rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for mutant, code in codes.items():
            if any(fnmatch.fnmatchcase(mutant, pattern) for pattern in PATTERNS):
                file = str(meta.relative_to(ROOT / "mutants")).removesuffix(".meta")
                results.setdefault(file, {})[mutant] = status_by_exit_code[code]
    return results


def report() -> None:
    results = selected()
    columns = ("killed", "timeout", "survived", "no tests", "segfault", "suspicious", "not checked")
    print("| file | " + " | ".join(columns) + " | total | score |")
    print("| --- |" + " ---: |" * (len(columns) + 2))
    totals: Counter[str] = Counter()
    for file, statuses in results.items():
        counts = Counter(statuses.values())
        totals.update(counts)
        print(row(file, counts, columns))
    print(row("**all**", totals, columns))
    by_reason: dict[str, list[str]] = {}
    unexplained = []
    for statuses in results.values():
        for mutant, status in statuses.items():
            if status in ("killed", "timeout", "not checked"):
                continue
            why = reason(mutant) if status == "survived" else None
            if why is None:
                unexplained.append(mutant)
            by_reason.setdefault(why or f"NO REASON ({status}): kill it or explain it", []).append(
                mutant
            )
    print("\nSurvivors, by the reason each is left alive:")
    for why, mutants in by_reason.items():
        names = ", ".join(f"`{m.removeprefix('vizff.')}`" for m in mutants)
        print(f"\n- {why} ({len(mutants)}): {names}")
    for mutant in unexplained:
        diff = subprocess.run(
            [str(Path(sys.executable).parent / "mutmut"), "show", mutant],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
        print(f"\n## {mutant}")
        print("\n".join(line for line in diff.splitlines() if line[:1] in "+-"))


def row(name: str, counts: Counter[str], columns: tuple[str, ...]) -> str:
    """A table row; the score is mutmut's: (killed + timeout) / all that were tested."""
    total = sum(counts.values())
    tested = total - counts["not checked"] - counts["skipped"]
    caught = counts["killed"] + counts["timeout"]
    score = f"{100 * caught / tested:.1f}%" if tested else "-"
    return f"| {name} | " + " | ".join(str(counts[c]) for c in columns) + f" | {total} | {score} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("run", "report"))
    parser.add_argument("names", nargs="*", help="run: only these mutants (default: PATTERNS)")
    args = parser.parse_args()
    if args.command == "report":
        report()
        return
    mutmut = str(Path(sys.executable).parent / "mutmut")
    names = args.names or PATTERNS
    command = [mutmut, "run", "--max-children", str(WORKERS), *names]
    sys.exit(subprocess.run(command, cwd=ROOT).returncode)


if __name__ == "__main__":
    main()
