"""Topic modules: each serves one lecture notebook and builds on the recurrent core.

| module | notebook | what it holds |
|---|---|---|
| ``dynamics`` | 01 | Euler's method, RK4, the forced oscillator, driven systems |
| ``expression_graph`` | 02 | small graphs of numpy operations, forward and reverse mode node by node |
| ``autograd_graph`` | 02 | the graph PyTorch's autograd records, as an ``rnnbook.graph.Graph`` |
| ``tagging`` | 03 | a synthetic name-tagging task and a small recurrent tagger |
| ``long_lag_tasks`` | 05 | the adding problem and other tasks that need a long memory |
| ``gradient_cliff`` | 05 | loss surfaces with a cliff, and descent with and without clipping |
| ``information`` | 06 | entropy, KL divergence, cross-entropy, bits and nats |
| ``ngram`` | 06, 07 | count-based n-gram language models, the baselines |
| ``numpy_lm`` | 06 | a character-level RNN language model in numpy, trained with hand-written BPTT |
| ``unit_inspection`` | 07 | what each hidden unit of a trained character model responds to |
| ``throughput`` | 08 | tokens per second, timed with warm-up and synchronisation |
| ``data_parallel`` | 08 | data-parallel training with DistributedDataParallel, run by torchrun |
| ``hopfield`` | 09 | Hopfield networks: Hebbian storage, energy, recall and capacity |
| ``ei_network`` | 09 | an excitatory-inhibitory rate network that obeys Dale's law |
"""
