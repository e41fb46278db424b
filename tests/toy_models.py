"""Small fixed models shared by the tests of sampling and of bad inputs."""

import torch
from torch import nn


class NextLetter(nn.Module):
    """A fixed model: after index i it strongly predicts index i + 1 (mod V)."""

    def __init__(self, vocab_size):
        super().__init__()
        self.vocab_size = vocab_size
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x, state=None):
        logits = 5.0 * torch.nn.functional.one_hot((x + 1) % self.vocab_size, self.vocab_size)
        return logits.float() + 0 * self.dummy, state
