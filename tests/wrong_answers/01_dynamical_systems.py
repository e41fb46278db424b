"""Plausible wrong answers to the exercises of notebook 01; each must lose its points."""

WRONG = {
    # slope taken at the end of the step
    "ex1-solution": "def euler_step(g, s, t, h):\n    return s + h * g(s, t + h)\n",
    # forgets the initial state: N states instead of N + 1
    "ex2-solution": (
        "def euler_integrate(g, s0, t0, t1, h):\n"
        "    n = int(round((t1 - t0) / h))\n"
        "    ts = t0 + h * np.arange(1, n + 1)\n"
        "    states, s = [], np.asarray(s0, dtype=float)\n"
        "    for t in ts:\n"
        "        s = s + h * g(s, t - h)\n"
        "        states.append(s)\n"
        "    return ts, np.stack(states)\n"
    ),
    # divides neither term by the mass
    "ex3-solution": (
        "def oscillator_rhs(state, t, k, m, A):\n"
        "    s, v = state\n"
        "    return np.array([v, -k * s + A * np.cos(t)])\n"
    ),
    # scales the new input by a as well
    "ex4-solution": (
        "def leaky_drive(a, xs, s0):\n"
        "    states = [float(s0)]\n"
        "    for x in xs:\n"
        "        states.append(a * (states[-1] + x))\n"
        "    return np.array(states)\n"
    ),
}
