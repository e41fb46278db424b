"""Answers to the exercises of notebook 08: plausible wrong ones (each must lose its points with
a message naming the mistake) and correct ones written differently from the solution."""

_COMBINE = """
def combine_gradients(grads_per_rank, counts):
    total = sum(counts)
    return [sum(g[k] * n / total for g, n in zip(grads_per_rank, counts))
            for k in range(len(grads_per_rank[0]))]
"""

_STEP = """
def accumulated_step(model, x, y, micro_batch, lr):
    grads, counts, losses = [], [], []
    for s in range(0, len(x), micro_batch):
        xb = torch.as_tensor(x[s:s + micro_batch]).long()
        yb = torch.as_tensor(y[s:s + micro_batch]).long()
        model.zero_grad()
        loss = lm_loss(model(xb)[0], yb)
        loss.backward()
        grads.append([p.grad.clone() for p in model.parameters()])
        counts.append(count_targets(yb))
        losses.append(loss.item())
    with torch.no_grad():
        for p, g in zip(model.parameters(), combine_gradients(grads, counts)):
            p.sub_(lr * g)
    return model, losses
"""


def _swap(text, old, new):
    assert old in text, old
    return text.replace(old, new)


WRONG = {
    "ex1-solution": [
        (
            r"plain mean over ranks",
            """
def combine_gradients(grads_per_rank, counts):
    R = len(grads_per_rank)
    return [sum(g[k] for g in grads_per_rank) / R for k in range(len(grads_per_rank[0]))]
""",
        ),
        (r"summed", _swap(_COMBINE, "g[k] * n / total", "g[k]")),
        (r"not divided by the total", _swap(_COMBINE, "g[k] * n / total", "g[k] * n")),
        (
            r"inverted",
            _swap(_COMBINE, "total = sum(counts)", "total = sum(1 / n for n in counts)").replace(
                "g[k] * n / total", "g[k] / n / total"
            ),
        ),
        (
            r"divided by the number of ranks once more",
            _swap(_COMBINE, "n / total", "n / total / len(counts)"),
        ),
        (
            r"changed the gradients",
            """
def combine_gradients(grads_per_rank, counts):
    total = sum(counts)
    out = grads_per_rank[0]
    for k in range(len(out)):
        out[k] *= counts[0] / total
        for g, n in zip(grads_per_rank[1:], counts[1:]):
            out[k] += g[k] * n / total
    return out
""",
        ),
    ],
    "ex2-solution": [
        (
            r"weighted by their rows",
            _swap(_STEP, "counts.append(count_targets(yb))", "counts.append(len(yb))"),
        ),
        (
            r"averaged with equal weights",
            _swap(_STEP, "counts.append(count_targets(yb))", "counts.append(1)"),
        ),
        (
            r"summed",
            """
def accumulated_step(model, x, y, micro_batch, lr):
    model.zero_grad()
    losses = []
    for s in range(0, len(x), micro_batch):
        loss = lm_loss(model(torch.as_tensor(x[s:s + micro_batch]))[0], torch.as_tensor(y[s:s + micro_batch]))
        loss.backward()
        losses.append(loss.item())
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return model, losses
""",
        ),
        (
            r"updated after every micro-batch",
            """
def accumulated_step(model, x, y, micro_batch, lr):
    losses = []
    for s in range(0, len(x), micro_batch):
        loss = lm_loss(model(torch.as_tensor(x[s:s + micro_batch]))[0], torch.as_tensor(y[s:s + micro_batch]))
        grads = torch.autograd.grad(loss, list(model.parameters()))
        with torch.no_grad():
            for p, g in zip(model.parameters(), grads):
                p -= lr * g
        losses.append(loss.item())
    return model, losses
""",
        ),
        (
            r"one loss per micro-batch: 3 micro-batches",
            _swap(_STEP, "    return model, losses", "    return model, losses[:-1]"),
        ),
        (
            r"starting weights",
            _swap(
                _STEP, "    with torch.no_grad():\n", "    losses = []\n    with torch.no_grad():\n"
            ).replace(
                "            p.sub_(lr * g)\n",
                "            p.sub_(lr * g)\n    for s in range(0, len(x), micro_batch):\n"
                "        losses.append(lm_loss(model(torch.as_tensor(x[s:s + micro_batch]))[0], torch.as_tensor(y[s:s + micro_batch])).item())\n",
            ),
        ),
    ],
    "ex3-solution": [
        (
            r"warm-up included",
            "answer_q3 = (len(run['wall_time']) - 3) * 64 * 128 / run['wall_time'][-1]",
        ),
        (r"counts sequences", "answer_q3 = 12 * 64 / (4.650 - 3.79)"),
        (r"one step late", "answer_q3 = 12 * 64 * 128 / (4.650 - 3.861)"),
        (r"tokens are counted, but not\s+their time", "answer_q3 = 15 * 64 * 128 / (4.650 - 3.79)"),
        (r"positive, finite", "answer_q3 = float('nan')"),
    ],
    "ex4-solution": [
        (r"less busy", "answer_q4 = 'b'"),
        (r"exactly the large batch's", "answer_q4 = 'c'"),
        (r"do not depend on the batch", "answer_q4 = 'd'"),
        (r"one of the letters", "answer_q4 = 'ab'"),
    ],
    "ex5-solution": [
        (r"size of one gradient", "answer_q5 = 100"),
        (r"float32 number takes 4 bytes", "answer_q5 = 2 * 7 / 8 * 25"),
        (r"not 2", "answer_q5 = 200.0"),
        (r"one of the two phases", "answer_q5 = 87.5"),
        (r"not right", "answer_q5 = 150"),
    ],
}

RIGHT = {
    "ex1-solution": [
        _COMBINE,
        # stacked with numpy-free arithmetic: a running sum per parameter, divided at the end
        """
def combine_gradients(grads_per_rank, counts):
    out = []
    for k in range(len(grads_per_rank[0])):
        acc = grads_per_rank[0][k] * counts[0]
        for g, n in zip(grads_per_rank[1:], counts[1:]):
            acc = acc + g[k] * n
        out.append(acc / sum(counts))
    return out
""",
    ],
    "ex2-solution": [
        _STEP,
        # accumulation in .grad: each micro-batch's loss scaled by its share of the targets
        """
def accumulated_step(model, x, y, micro_batch, lr):
    y_all = torch.as_tensor(y)
    total = count_targets(y_all)
    model.zero_grad()
    losses = []
    for s in range(0, len(x), micro_batch):
        yb = y_all[s:s + micro_batch].long()
        loss = lm_loss(model(torch.as_tensor(x[s:s + micro_batch]).long())[0], yb)
        (loss * count_targets(yb) / total).backward()
        losses.append(loss.item())
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    opt.step()
    return model, losses
""",
    ],
    "ex3-solution": [
        "answer_q3 = 12 * 64 * 128 / (4.650 - 3.79)",
        "w = run['wall_time']\nanswer_q3 = (len(w) - 3) * 8192 / (w[-1] - w[2])",
    ],
    "ex4-solution": ["answer_q4 = 'A'", "answer_q4 = 'a '"],
    "ex5-solution": ["answer_q5 = 175", "answer_q5 = 175e6 / 1e6  # 14/8 of 100 MB"],
}
