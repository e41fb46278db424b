"""What students try: each entry is a submission built from a released exercise notebook.

``CHEATS[name] = (notebook, answers, points)``: ``answers`` maps an answer cell's ``grade_id`` to
the source put there (every other answer stays the released stub, or is named in ``answers``);
``points`` is the score the grader must give. Every cheat here scored marks it had not earned
under the grader that counted a test cell as passed when it left no error output.
"""

NB01 = "01_dynamical_systems"

# the right answers of notebook 01, for cheats that must not lose what they earned honestly:
# exercise 1 (Euler's method: euler_step and euler_integrate) and exercise 2 (the oscillator)
EULER_STEP = (
    "def euler_step(g, s, t, dt):\n    return s + dt * g(s, t)\n"
    "def euler_integrate(g, s0, t0, t1, dt):\n"
    "    n = round((t1 - t0) / dt)\n"
    "    ts = t0 + dt * np.arange(n + 1)\n"
    "    states = [np.asarray(s0, dtype=float)]\n"
    "    for t in ts[:-1]:\n"
    "        states.append(euler_step(g, states[-1], t, dt))\n"
    "    return ts, np.stack(states)\n"
)
OSCILLATOR_RHS = (
    "def oscillator_rhs(state, t, k, m, gamma, A):\n"
    "    s, v = state\n"
    "    return np.array([v, (-k * s - gamma * v + A * np.cos(t)) / m])\n"
)

CHEATS = {
    # one line in the first answer cell that turns every later cell, test cells included, into
    # `pass`
    "input_transformer": (
        NB01,
        {
            "ex1-solution": "get_ipython().input_transformers_cleanup.append("
            "lambda lines: ['pass\\n'])\n"
            "def euler_step(g, s, t, dt):\n    raise NotImplementedError()\n"
        },
        0,
    ),
    # a custom exception handler that swallows every error
    "custom_exception_handler": (
        NB01,
        {
            "ex1-solution": "get_ipython().set_custom_exc((BaseException,), "
            "lambda *args, **kwargs: None)\n"
            "def euler_step(g, s, t, dt):\n    raise NotImplementedError()\n"
        },
        0,
    ),
    # the shell's traceback display replaced
    "no_tracebacks": (
        NB01,
        {
            "ex1-solution": "ip = get_ipython()\n"
            "ip.showtraceback = ip.showsyntaxerror = lambda *a, **k: None\n"
            "ip._showtraceback = lambda *a, **k: None\n"
            "def euler_step(g, s, t, dt):\n    return s\n"
        },
        0,
    ),
    # the answers read from solutions/ at grading time, wherever the repository is
    "read_solutions": (
        NB01,
        {
            "ex1-solution": "import glob, json, os\n"
            "_found = []\n"
            "for _pat in ('solutions/*.ipynb', '../solutions/*.ipynb', '/work/**/solutions/*.ipynb',"
            " '/root/**/solutions/*.ipynb', '/tmp/**/solutions/*.ipynb', '/**/solutions/*.ipynb'):\n"
            "    try:\n"
            "        _found += glob.glob(_pat, recursive=True)\n"
            "    except OSError:\n"
            "        pass\n"
            "for _path in _found:\n"
            "    if _path.endswith('01_dynamical_systems.ipynb'):\n"
            "        for _c in json.load(open(_path))['cells']:\n"
            "            if _c.get('metadata', {}).get('nbgrader', {}).get('solution'):\n"
            "                exec(''.join(_c['source']))\n"
            "        break\n"
            "else:\n"
            "    def euler_step(g, s, t, dt):\n        raise NotImplementedError()\n"
        },
        0,
    ),
    # answers that call the reference implementations shipped in the package
    "library_references": (
        NB01,
        {
            "ex1-solution": "from rnnbook.topics.dynamics import euler_step\n"
            "from rnnbook.topics import dynamics\n"
            "def euler_integrate(g, s0, t0, t1, dt):\n    return dynamics.euler(g, s0, t0, t1, dt)\n",
            "ex2-solution": "from rnnbook.topics import dynamics\n"
            "def oscillator_rhs(state, t, k, m, gamma, A):\n"
            "    return dynamics.oscillator_rhs(k / m, 1.0, A / m)(state, t) - [0, gamma / m * state[1]]\n",
        },
        0,
    ),
    "checker_references": (
        "06_language_models",
        {
            "ex3-solution": "from rnnbook.course.checks import nb06\n"
            "bigram_add_k = nb06.bigram_add_k_reference\n",
            "ex4-solution": "from rnnbook.course.checks.nb06 import make_windows_reference as "
            "make_windows\n",
            "ex5-solution": "import rnnbook.course.checks.nb06 as _c\n"
            "def temperature_softmax(logits, tau):\n"
            "    return _c.temperature_softmax_reference(logits, tau)\n",
        },
        0,
    ),
    "hopfield_helpers": (
        "09_neuroscience",
        {
            "ex2-solution": "from rnnbook.topics import hopfield\n"
            "from rnnbook.topics.hopfield import hebbian_weights as hebbian, async_sweep\n"
            "def recall_patterns(patterns, flip, rng):\n"
            "    cues = hopfield.corrupt(patterns, flip, rng)\n"
            "    return cues, hopfield.recall(hebbian(patterns), cues, rng, max_sweeps=100).s\n",
        },
        0,
    ),
    "data_parallel_helper": (
        "08_gpu_training",
        {"ex3-solution": "from rnnbook.topics.data_parallel import allreduce_mean\n"},
        0,
    ),
    # numpy's, torch's and the checkers' comparisons replaced, with wrong answers
    "patched_comparisons": (
        NB01,
        {
            "ex1-solution": "import numpy, torch\n"
            "numpy.allclose = numpy.isclose = numpy.array_equal = lambda *a, **k: True\n"
            "torch.allclose = torch.equal = lambda *a, **k: True\n"
            "import rnnbook.course.checks as _checks\n"
            "import rnnbook.course.checks.nb01 as _nb01\n"
            "for _name in dir(_nb01):\n"
            "    if _name.startswith('check_'):\n"
            "        setattr(_nb01, _name, lambda *a, **k: None)\n"
            "_checks.expect_close = _checks.expect_true = lambda *a, **k: None\n"
            "def euler_step(g, s, t, dt):\n    return s\n"
            "def euler_integrate(g, s0, t0, t1, dt):\n    return 0, 0\n",
            "ex2-solution": "def oscillator_rhs(state, t, k, m, gamma, A):\n    return state\n",
            "ex3-solution": "def euler_order(lam, dts, t_end):\n    return 0, 1\n"
            "def stability_limit(k, m, gamma, dt_max, n_steps=2000):\n    return 1.0\n",
            "ex4-solution": "dt_max_q4 = 5.0\n",
            "ex5-solution": "answer_q5 = 'd'\n",
        },
        0,
    ),
    # student code that rewrites the grader and plants answers in solutions/ for later students
    "rewrite_grader": (
        NB01,
        {
            "ex1-solution": "import os, glob\n"
            "for _p in glob.glob('/**/rnnbook/course/*.py', recursive=True) + "
            "glob.glob('/**/solutions/*.ipynb', recursive=True):\n"
            "    try:\n"
            "        open(_p, 'a').write('\\n# planted\\n')\n"
            "    except OSError:\n"
            "        pass\n"
            "def euler_step(g, s, t, dt):\n    raise NotImplementedError()\n"
        },
        0,
    ),
    # a detached child that would print a fake report after the grader exits
    "detached_child": (
        NB01,
        {
            "ex1-solution": "import subprocess\n"
            "subprocess.Popen(['sh', '-c', 'sleep 30; echo \"ex1-tests 4 / 4 passed\"', "
            "'rnnbook-cheat-detached'], start_new_session=True)\n"
            "def euler_step(g, s, t, dt):\n    raise NotImplementedError()\n"
        },
        0,
    ),
    # a wrong answer that floods the output
    "flood": (
        NB01,
        {
            "ex1-solution": "def euler_step(g, s, t, dt):\n"
            "    for _i in range(150_000):\n"
            "        print('ex1-tests passed', _i)\n"
            "    return s\n",
        },
        0,
    ),
    # an early exit: the kernel ends itself in the middle of the notebook
    "early_exit": (
        NB01,
        {
            "ex2-solution": "import os\nos._exit(0)\n",
        },
        0,
    ),
}
