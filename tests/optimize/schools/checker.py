"""An independent checker of school plans: every rule and the objective recomputed from the
problem's public arrays with plain loops, sharing no code with the solver."""

from __future__ import annotations

import math

from accessplan.optimize.schools import SchoolProblem, SchoolSolution


def check(problem: SchoolProblem, solution: SchoolSolution) -> float:
    """Assert ``solution`` keeps every rule of ``problem``; return its objective recomputed."""
    minutes = problem.minutes.tolist()  # [band][settlement][school]
    pupils = problem.pupils.tolist()  # [settlement][band]
    weights = problem.trip_weights.tolist()
    current = problem.current.tolist()
    limit = problem.max_minutes.tolist()
    n_bands, n, m = len(minutes), len(minutes[0]), len(minutes[0][0])
    opened = [bool(v) for v in solution.open]

    # the schools that may close, from the enrolment now (by `current`), and the kept ones
    enrolled = [0.0] * m
    for b in range(n_bands):
        for i in range(n):
            if current[b][i] >= 0:
                enrolled[current[b][i]] += pupils[i][b]
    closable = []
    for j in range(m):
        small = enrolled[j] < problem.min_size if problem.min_size > 0 else True
        closable.append(small and not bool(problem.protected[j]))
    for j in range(m):
        if not closable[j]:
            assert opened[j], f"school {j} is protected or at least the minimum size, but closed"
    if problem.max_closures is not None:
        # a new school (a candidate teaching point) left shut is no closure
        closed = sum(1 for j in range(m) if closable[j] and not opened[j] and not problem.new[j])
        assert closed <= problem.max_closures, f"{closed} closures, budget {problem.max_closures}"

    # every group with pupils placed exactly once
    groups = {(i, b) for i in range(n) for b in range(n_bands) if pupils[i][b] > 0}
    placed = [(int(i), int(b)) for i, b in zip(solution.settlement, solution.band, strict=True)]
    assert sorted(placed) == sorted(groups), "pupil groups missing or placed twice"

    def usable(b: int, i: int, j: int) -> bool:
        t = minutes[b][i][j]
        if not math.isfinite(t):
            return False
        return t <= limit[b] or (bool(problem.boarding[b]) and problem.hostel[j] > 0)

    load, boarders, total = [0.0] * m, [0.0] * m, 0.0
    for k, (i, b) in enumerate(placed):
        j = int(solution.school[k])
        t = minutes[b][i][j]
        q = pupils[i][b]
        assert opened[j], f"group {(i, b)} sent to closed school {j}"
        assert usable(b, i, j), f"group {(i, b)} sent to school {j} at {t} min, not allowed"
        boards = t > limit[b]
        assert bool(solution.boarding[k]) == boards, f"group {(i, b)} boarding flag wrong"
        load[j] += q
        if boards:
            boarders[j] += q
            total += q * problem.boarder_cost
        else:
            total += weights[i][b] * t
        if current[b][i] != j:
            total += problem.move_cost * q
        if problem.teaching_point[j] and problem.new[j]:  # only pupils no school takes by day
            for other in range(m):
                if opened[other] and not problem.teaching_point[other]:
                    by_day = (
                        math.isfinite(minutes[b][i][other]) and minutes[b][i][other] <= limit[b]
                    )
                    assert not by_day, (
                        f"group {(i, b)} at teaching point {j} though school {other} is open "
                        f"{minutes[b][i][other]} min away"
                    )
        if problem.closest:
            for other in range(m):
                if opened[other] and usable(b, i, other):
                    assert minutes[b][i][other] >= t, (
                        f"group {(i, b)} passes open school {other} "
                        f"({minutes[b][i][other]} < {t} min)"
                    )
    for j in range(m):
        if opened[j]:
            total += float(problem.open_cost[j])
        assert load[j] <= problem.capacity[j] + 1e-9, f"school {j} over capacity"
        assert boarders[j] <= problem.hostel[j] + 1e-9, f"hostel of school {j} over capacity"
        exempt = bool(problem.teaching_point[j]) or not closable[j]
        if solution.downgraded[j]:  # a small school kept as a teaching point, at a cost
            assert opened[j] and closable[j] and problem.downgrade_cost is not None
            assert problem.min_size > 0 and not problem.teaching_point[j]
            assert all(
                not math.isfinite(t) for band in minutes[1:] for row in band for t in [row[j]]
            )
            total += problem.downgrade_cost
            exempt = True
        if opened[j] and problem.min_size > 0 and not exempt:
            assert load[j] >= problem.min_size, f"school {j} open with {load[j]} pupils"
    return total
