"""Answers to the exercises of notebook 01: plausible wrong ones, each losing its points with a
message that names the mistake, and correct ones written differently from the solution."""

_STEP = "def euler_step(g, s, t, dt):\n    return s + dt * g(s, t)\n"
_INTEGRATE = (
    "def euler_integrate(g, s0, t0, t1, dt):\n"
    "    n = round((t1 - t0) / dt)\n"
    "    ts = t0 + dt * np.arange(n + 1)\n"
    "    states = [np.asarray(s0, dtype=float)]\n"
    "    for i in range(n):\n"
    "        states.append(euler_step(g, states[-1], ts[i], dt))\n"
    "    return ts, np.stack(states)\n"
)
_ORDER = (
    "def euler_order(lam, dts, t_end):\n"
    "    errors = []\n"
    "    for dt in dts:\n"
    "        ts, s = euler_integrate(lambda s, t: -lam * s, 1.0, 0.0, t_end, dt)\n"
    "        errors.append(np.abs(s - np.exp(-lam * ts)).max())\n"
    "    return np.array(errors), np.polyfit(np.log(dts), np.log(errors), 1)[0]\n"
)
_LIMIT = (
    "def stability_limit(k, m, gamma, dt_max, n_steps=2000):\n"
    "    def stable(dt):\n"
    "        with np.errstate(over='ignore', invalid='ignore'):\n"
    "            _, st = euler_integrate(lambda x, t: oscillator_rhs(x, t, k, m, gamma, 0.0),\n"
    "                                    np.array([1.0, 0.0]), 0.0, n_steps * dt, dt)\n"
    "            return 0.5 * m * st[-1, 1] ** 2 + 0.5 * k * st[-1, 0] ** 2 < 0.5 * k\n"
    "    lo, hi = 0.0, dt_max\n"
    "    while hi - lo > 1e-3 * hi:\n"
    "        mid = (lo + hi) / 2\n"
    "        lo, hi = (mid, hi) if stable(mid) else (lo, mid)\n"
    "    return (lo + hi) / 2\n"
)

WRONG = {
    "ex1-solution": [
        # the slope taken at the end of the step
        (
            r"evaluates g at t \+ Δt",
            "def euler_step(g, s, t, dt):\n    return s + dt * g(s, t + dt)\n" + _INTEGRATE,
        ),
        # the step count truncated: (0.7 - 0.1) / 0.1 = 5.999… gives 5 steps
        (
            r"round it to the nearest whole number",
            _STEP + "def euler_integrate(g, s0, t0, t1, dt):\n"
            "    n = int((t1 - t0) / dt)\n"
            "    ts = t0 + dt * np.arange(n + 1)\n"
            "    states = [np.asarray(s0, dtype=float)]\n"
            "    for i in range(n):\n"
            "        states.append(euler_step(g, states[-1], ts[i], dt))\n"
            "    return ts, np.stack(states)\n",
        ),
        # the initial state left out: N states instead of N + 1
        (
            r"the initial state s0 plus",
            _STEP + "def euler_integrate(g, s0, t0, t1, dt):\n"
            "    n = round((t1 - t0) / dt)\n"
            "    ts = t0 + dt * np.arange(1, n + 1)\n"
            "    states, s = [], np.asarray(s0, dtype=float)\n"
            "    for t in ts:\n"
            "        s = euler_step(g, s, t - dt, dt)\n"
            "        states.append(s)\n"
            "    return ts, np.stack(states)\n",
        ),
        # g always evaluated at t0
        (
            r"always evaluates g at t0",
            _STEP + "def euler_integrate(g, s0, t0, t1, dt):\n"
            "    n = round((t1 - t0) / dt)\n"
            "    states = [np.asarray(s0, dtype=float)]\n"
            "    for i in range(n):\n"
            "        states.append(euler_step(g, states[-1], t0, dt))\n"
            "    return t0 + dt * np.arange(n + 1), np.stack(states)\n",
        ),
        # the step size forgotten
        (
            r"forgets to multiply the slope by the step size",
            "def euler_step(g, s, t, dt):\n    return s + g(s, t)\n" + _INTEGRATE,
        ),
    ],
    "ex2-solution": [
        (
            r"missing the division by the mass",
            "def oscillator_rhs(state, t, k, m, gamma, A):\n"
            "    s, v = state\n"
            "    return np.array([v, -k * s - gamma * v + A * np.cos(t)])\n",
        ),
        (
            r"damping has the wrong sign",
            "def oscillator_rhs(state, t, k, m, gamma, A):\n"
            "    s, v = state\n"
            "    return np.array([v, (-k * s + gamma * v + A * np.cos(t)) / m])\n",
        ),
        (
            r"damping term .* is missing",
            "def oscillator_rhs(state, t, k, m, gamma, A):\n"
            "    s, v = state\n"
            "    return np.array([v, (-k * s + A * np.cos(t)) / m])\n",
        ),
        (
            r"swapped",
            "def oscillator_rhs(state, t, k, m, gamma, A):\n"
            "    s, v = state\n"
            "    return np.array([(-k * s - gamma * v + A * np.cos(t)) / m, v])\n",
        ),
    ],
    "ex3-solution": [
        # the error at the last time only
        (
            r"errors at t_end only",
            "def euler_order(lam, dts, t_end):\n"
            "    errors = []\n"
            "    for dt in dts:\n"
            "        ts, s = euler_integrate(lambda s, t: -lam * s, 1.0, 0.0, t_end, dt)\n"
            "        errors.append(abs(s[-1] - np.exp(-lam * ts[-1])))\n"
            "    return np.array(errors), np.polyfit(np.log(dts), np.log(errors), 1)[0]\n" + _LIMIT,
        ),
        # log10 of the errors against the natural log of the steps
        (
            r"different bases",
            "def euler_order(lam, dts, t_end):\n"
            "    errors = []\n"
            "    for dt in dts:\n"
            "        ts, s = euler_integrate(lambda s, t: -lam * s, 1.0, 0.0, t_end, dt)\n"
            "        errors.append(np.abs(s - np.exp(-lam * ts)).max())\n"
            "    return np.array(errors), np.polyfit(np.log(dts), np.log10(errors), 1)[0]\n"
            + _LIMIT,
        ),
        # the slope of the first two points, not the least-squares fit over all of them
        (
            r"least-squares slope",
            "def euler_order(lam, dts, t_end):\n"
            "    errors = []\n"
            "    for dt in dts:\n"
            "        ts, s = euler_integrate(lambda s, t: -lam * s, 1.0, 0.0, t_end, dt)\n"
            "        errors.append(np.abs(s - np.exp(-lam * ts)).max())\n"
            "    order = np.log(errors[0] / errors[1]) / np.log(dts[0] / dts[1])\n"
            "    return np.array(errors), order\n" + _LIMIT,
        ),
        # the decay's limit 2/λ with λ = γ/m, not measured
        (
            r"2/λ for a decay",
            _ORDER + "def stability_limit(k, m, gamma, dt_max, n_steps=2000):\n"
            "    return 2 * m / gamma\n",
        ),
        # a bisection stopped after three halvings
        (
            r"within 2 %",
            _ORDER + _LIMIT.replace("while hi - lo > 1e-3 * hi:", "for _ in range(3):"),
        ),
    ],
    "ex4-solution": [
        (r"the fast one, λ = 100, sets the limit", "dt_max_q4 = 2.0  # the slow mode's limit\n"),
        (r"the fast one, λ = 100, sets the limit", "dt_max_q4 = 0.01  # where the sign flips\n"),
        (r"the fast one, λ = 100, sets the limit", "dt_max_q4 = 1.01  # the mean of both\n"),
        (r"dt_max_q4 should be a positive.*a step Δt is positive", "dt_max_q4 = -0.02\n"),
    ],
    "ex5-solution": [
        (r"falls four times faster", 'answer_q5 = "b"\n'),
        (r"does change: it moves closer to 1", 'answer_q5 = "c"\n'),
        (r"never E\(0\)", 'answer_q5 = "d"\n'),
        (r"should be one of", 'answer_q5 = "closer"\n'),
    ],
}

RIGHT = {
    "ex1-solution": [
        # the time carried along, the states in a preallocated array
        "def euler_step(g, s, t, dt):\n"
        "    return np.add(s, np.multiply(dt, g(s, t)))\n"
        "def euler_integrate(g, s0, t0, t1, dt):\n"
        "    n = int(np.rint((t1 - t0) / dt))\n"
        "    s0 = np.asarray(s0, dtype=float)\n"
        "    states = np.empty((n + 1,) + s0.shape)\n"
        "    states[0] = s0\n"
        "    for i in range(n):\n"
        "        states[i + 1] = euler_step(g, states[i], t0 + i * dt, dt)\n"
        "    return t0 + dt * np.arange(n + 1), states\n",
        # linspace for the times, a while loop over them
        "def euler_step(g, s, t, dt):\n"
        "    increment = dt * np.asarray(g(s, t))\n"
        "    return s + increment\n"
        "def euler_integrate(g, s0, t0, t1, dt):\n"
        "    n = int((t1 - t0) / dt + 0.5)\n"
        "    ts = np.linspace(t0, t0 + n * dt, n + 1)\n"
        "    out = [np.array(s0, dtype=float)]\n"
        "    i = 0\n"
        "    while i < n:\n"
        "        out.append(euler_step(g, out[-1], ts[i], dt))\n"
        "        i += 1\n"
        "    return ts, np.array(out)\n",
    ],
    "ex2-solution": [
        "def oscillator_rhs(state, t, k, m, gamma, A):\n"
        "    return np.array([state[1], (A * np.cos(t) - k * state[0] - gamma * state[1]) / m])\n",
        "def oscillator_rhs(state, t, k, m, gamma, A):\n"
        "    s, v = (float(x) for x in state)\n"
        "    dv = -(k / m) * s - (gamma / m) * v + (A / m) * np.cos(t)\n"
        "    return np.array([v, dv])\n",
    ],
    "ex3-solution": [
        # log10 on both axes (the same slope), the limit by a fixed number of halvings
        "def euler_order(lam, dts, t_end):\n"
        "    runs = [euler_integrate(lambda s, t: -lam * s, 1.0, 0.0, t_end, dt) for dt in dts]\n"
        "    errors = np.array([np.max(np.abs(s - np.exp(-lam * ts))) for ts, s in runs])\n"
        "    slope, _ = np.polyfit(np.log10(dts), np.log10(errors), 1)\n"
        "    return errors, slope\n"
        "def stability_limit(k, m, gamma, dt_max, n_steps=2000):\n"
        "    def grows(dt):\n"
        "        with np.errstate(all='ignore'):\n"
        "            _, st = euler_integrate(\n"
        "                lambda x, t: oscillator_rhs(x, t, k, m, gamma, 0.0),\n"
        "                [1.0, 0.0], 0.0, n_steps * dt, dt)\n"
        "            e_end = m * st[-1, 1] ** 2 + k * st[-1, 0] ** 2\n"
        "        return not e_end < k\n"
        "    lo, hi = 0.0, float(dt_max)\n"
        "    for _ in range(20):\n"
        "        mid = 0.5 * (lo + hi)\n"
        "        if grows(mid):\n"
        "            hi = mid\n"
        "        else:\n"
        "            lo = mid\n"
        "    return lo\n",
        # the least-squares slope by hand, the bisection written recursively
        "def euler_order(lam, dts, t_end):\n"
        "    errors = np.zeros(len(dts))\n"
        "    for i, dt in enumerate(dts):\n"
        "        ts, s = euler_integrate(lambda s, t: -lam * s, np.array(1.0), 0, t_end, dt)\n"
        "        errors[i] = max(abs(s - np.exp(-lam * ts)))\n"
        "    x, y = np.log(dts), np.log(errors)\n"
        "    order = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)\n"
        "    return errors, order\n" + _LIMIT.replace("< 0.5 * k", "< 0.5 * k * 1.0"),
    ],
    "ex4-solution": ["dt_max_q4 = 0.02\n", "dt_max_q4 = 1 / 50\n"],
    "ex5-solution": ['answer_q5 = "A"\n', "answer_q5 = ' a '\n"],
}
