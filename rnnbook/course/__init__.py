"""The instructor's machinery: exercise checkers, exercise generation, grading.

- ``checks``: one module of checkers per notebook (``checks.nb04``), plus shared helpers;
  each checker says precisely what is wrong with a student's answer.
- ``exercises``: makes the students' ``exercises/`` notebooks from the instructors' ``solutions/``.
- ``grading``: grades a student's notebook against its source in ``solutions/``.
"""
