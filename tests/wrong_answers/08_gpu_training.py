"""Plausible wrong answers to the exercises of notebook 08; each must lose its points."""

WRONG = {
    # moves the batch but leaves the model where it was
    "ex1-solution": (
        "def forward_on(model, x, y, device):\n"
        "    x = torch.as_tensor(x, dtype=torch.long, device=device)\n"
        "    y = torch.as_tensor(y, dtype=torch.long, device=device)\n"
        "    logits, _ = model(x)\n"
        "    return logits, lm_loss(logits, y)\n"
    ),
    # divides by the whole run time, warm-up included
    "ex2-solution": (
        "def steady_throughput(wall_time, batch_size, num_steps, skip):\n"
        "    n = len(wall_time) - skip\n"
        "    return n * batch_size * num_steps / wall_time[-1]\n"
    ),
    # sums the gradients instead of averaging them
    "ex3-solution": (
        "def allreduce_mean(grads_per_rank):\n"
        "    total = [sum(g[k] for g in grads_per_rank) for k in range(len(grads_per_rank[0]))]\n"
        "    return [[t.clone() for t in total] for _ in grads_per_rank]\n"
    ),
    # re-seeds instead of saving and restoring the state
    "ex4-solution": (
        "def call_with_rng_restored(fn):\n"
        "    result = fn()\n"
        "    torch.manual_seed(0)\n"
        "    return result\n"
    ),
}
