"""School network planning: consolidation of small schools with pupil reassignment, boarding
and teaching points, on the capacitated location engine."""

from accessplan.optimize.schools.curve import tradeoff
from accessplan.optimize.schools.problem import SchoolProblem
from accessplan.optimize.schools.solve import SchoolSolution, solve_schools

__all__ = ["SchoolProblem", "SchoolSolution", "solve_schools", "tradeoff"]
