"""prime_factor_analysis: the prime factors of the numbers, CPU-bound work for a child process."""

from __future__ import annotations

import math
from typing import Any

from pytest_orchestrator.context import Context
from scriptlets.numbers import Computed, Number, NumbersStep, list_param


def prime_factors(n: int) -> list[int]:
    """The prime factors of ``|n|`` by trial division up to its square root, smallest first,
    with repeats (12 -> [2, 2, 3]); [] for 0 and ±1. Slow on purpose: sqrt(n) divisions."""
    n, found, divisor = abs(n), [], 2
    while divisor * divisor <= n:
        while n % divisor == 0:
            found.append(divisor)
            n //= divisor
        divisor += 1 if divisor == 2 else 2
    if n > 1:
        found.append(n)
    return found


def nearest_integer(x: Number) -> int:
    """``x`` rounded to the nearest integer, halves away from zero (10.5 -> 11, -3.5 -> -4)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


class PrimeFactorAnalysis(NumbersStep):
    """Factor each number into primes: deliberately CPU-bound, so it runs in a child process.

    Params:
      extra  a list of integers to factor after the input numbers (e.g. large primes such as
             10000000000037: trial division costs about sqrt(n) steps, which is how a recipe
             asks for real CPU work).
      src    a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1. A number that
    is not an integer is rounded to the nearest one, halves away from zero (10.5 -> 11), and
    the log line says so; the sign is ignored; 0 and ±1 have no prime factors.
    Outputs: numbers.prime_factors_v1 = {"<n>": [prime factors, smallest first, with repeats]}
    for each distinct (rounded) number, input numbers first, then ``extra``.
    Metrics: factored (how many numbers), rounded (how many were not integers), largest_factor.
    Exit codes: 0 ok; 1 an empty list, an unreadable src or a bad ``extra``; 2 no input numbers.
    """

    requires_process = True  # CPU-bound: keep it off the runner's own process
    takes = ("extra", "src")
    empty_reason = "no numbers to factor"

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        super().validate(ctx, params)
        list_param(params, "extra", int, what="integers")

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        rounded = [x for x in numbers if x != nearest_integer(x)]
        integers = [nearest_integer(x) for x in numbers] + list(params.get("extra", ()))
        factors = {str(n): prime_factors(n) for n in dict.fromkeys(integers)}
        largest = max((f for found in factors.values() for f in found), default=None)
        note = f"; rounded {', '.join(map(str, rounded))} to the nearest integer" \
            if rounded else ""
        return Computed({"numbers.prime_factors_v1": factors},
                        {"factored": len(factors), "rounded": len(rounded),
                         "largest_factor": largest},
                        f"prime_factor_analysis: factored {len(factors)} numbers{note}")


if __name__ == "__main__":
    raise SystemExit(PrimeFactorAnalysis.main())
