"""The instructor's machinery: exercise checkers, exercise generation, grading.

- ``checks``: one module of checkers per notebook (``checks.nb04``), plus shared helpers;
  each checker says precisely what is wrong with a student's answer.
- ``exercises``: makes the students' ``exercises/`` notebooks from the instructors' ``solutions/``.
- ``grading``: grades students' notebooks against their sources in ``solutions/``, one or a class;
- ``sandbox``: the confined kernel that holds a student's code while it is graded;
- ``wire``: the plain-data conversation between the grader and that kernel.
"""
