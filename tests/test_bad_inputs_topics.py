"""Bad inputs to the text pipeline, the graphs and the topic modules: each one is refused with a
message that names the argument, what was expected and what arrived (the words are asserted)."""

import numpy as np
import pytest
import torch

from rnnbook import graph, plotting, text
from rnnbook.lm import RNNLM
from rnnbook.topics import (
    autograd_graph,
    dynamics,
    ei_network,
    expression_graph,
    gradient_cliff,
    hopfield,
    information,
    long_lag_tasks,
    ngram,
    tagging,
    throughput,
    unit_inspection,
)

torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ------------------------------------------------------------------------------ text


@pytest.fixture
def word_vocab():
    return text.Vocab("the time machine by h g wells the time traveller".split())


def test_word_vocab_encodes_a_str_as_words_not_characters(word_vocab):
    assert word_vocab.kind == "word"
    assert word_vocab.encode("then") == [word_vocab.unk]  # one unknown word, not four
    assert word_vocab.encode("the time") == [word_vocab["the"], word_vocab["time"]]
    assert word_vocab.encode("time") == [word_vocab["time"]]
    chars = text.Vocab(list("the time"))
    assert chars.kind == "char" and chars.encode("tie") == chars.encode(["t", "i", "e"])


def test_vocab_refuses_a_bare_string_of_reserved_tokens():
    with pytest.raises(
        TypeError, match=r"reserved_tokens: expected a list or tuple .*got str '<pad>'"
    ):
        text.Vocab(["a", "b"], reserved_tokens="<pad>")


def test_vocab_refuses_reserved_tokens_that_are_not_str():
    with pytest.raises(
        TypeError, match="reserved_tokens: expected str tokens, got int 0 at position 1"
    ):
        text.Vocab(["a"], reserved_tokens=["<pad>", 0])


def test_vocab_refuses_tokens_that_are_not_str():
    with pytest.raises(TypeError, match="tokens: expected str tokens, got int 3 at position 2"):
        text.Vocab(["a", "b", 3])


def test_encode_refuses_tokens_that_are_not_str(word_vocab):
    with pytest.raises(TypeError, match="tokens: expected str tokens, got float 1.5 at position 1"):
        word_vocab.encode(["the", 1.5])


def test_vocab_lookup_refuses_a_key_that_is_not_a_str(word_vocab):
    with pytest.raises(TypeError, match="token: expected a str .*got int 3"):
        word_vocab[3]


def test_decode_refuses_float_indices(word_vocab):
    with pytest.raises(TypeError, match="indices: expected integer token indices, got float 1.7"):
        word_vocab.decode([1.7])


def test_decode_refuses_a_string_of_digits(word_vocab):
    with pytest.raises(
        TypeError, match="indices: expected integer token indices .*got the str '12'"
    ):
        word_vocab.decode("12")


def test_decode_refuses_float_arrays_and_tensors(word_vocab):
    with pytest.raises(
        TypeError, match="indices: expected an integer array or tensor, got dtype float64"
    ):
        word_vocab.decode(np.array([1.0, 2.0]))
    with pytest.raises(
        TypeError, match="indices: expected an integer array or tensor, got dtype torch.float32"
    ):
        word_vocab.decode(torch.tensor([1.0]))


def test_decode_refuses_bools_and_2d_arrays(word_vocab):
    with pytest.raises(TypeError, match="indices: expected integer token indices, got bool True"):
        word_vocab.decode([True])
    with pytest.raises(ValueError, match=r"indices: expected a 1-D sequence .*got shape \(2, 2\)"):
        word_vocab.decode(np.zeros((2, 2), dtype=np.int64))


def test_decode_refuses_indices_out_of_range(word_vocab):
    with pytest.raises(
        IndexError, match=rf"indices: expected values in \[0, {len(word_vocab) - 1}\], got 99"
    ):
        word_vocab.to_tokens(99)


def test_window_batches_refuse_float_windows():
    with pytest.raises(
        TypeError, match="X: expected an integer array of token indices, got dtype float64"
    ):
        text.WindowBatches(np.zeros((4, 3)), np.zeros((4, 3)), 2)


def test_split_tokens_refuses_fractions_that_do_not_sum_to_one():
    with pytest.raises(
        ValueError, match="fractions: expected two or more non-negative numbers summing to 1"
    ):
        text.split_tokens(list(range(10)), (0.5, 0.2))


def test_one_hot_torch_refuses_float_indices():
    with pytest.raises(
        TypeError, match="indices: expected an integer tensor, got dtype torch.float32"
    ):
        text.one_hot_torch(torch.tensor([0.0, 1.0]), 3)


# ------------------------------------------------------------------------------ graphs


def test_unrolled_graph_refuses_a_tau_that_is_not_an_integer():
    with pytest.raises(TypeError, match="tau: expected an integer, got str '3'"):
        graph.unrolled_graph("hidden", "3")


def test_sequence_shape_graph_refuses_a_zero_length():
    with pytest.raises(ValueError, match="length: expected a finite number > 0, got 0"):
        graph.sequence_shape_graph("many-to-many", 0)


def test_topological_order_refuses_a_cyclic_graph():
    with pytest.raises(ValueError, match="graph: expected an acyclic graph, got the cycle h -> h"):
        graph.folded_graph("hidden").topological_order()


def test_expression_graph_dot_refuses_a_vector_against_a_column():
    g = expression_graph.ExpressionGraph()
    g.variable("a", np.array([1.0, 2.0]))
    g.variable("b", np.array([[3.0], [4.0]]))
    g.apply("dot", "a", "b", name="c")
    with pytest.raises(
        ValueError,
        match=r"c = dot\(a, b\): .*dot: expected two arrays of the same shape, got \(2,\) and \(2, 1\)",
    ):
        g.forward()
    g.set_value("a", np.array([[1.0], [2.0]]))  # a column against a column is a dot product
    assert float(g.forward()) == 11.0


def test_expression_graph_matmul_refuses_mismatched_inner_sizes():
    g = expression_graph.graph_logistic_layer(
        x=np.ones((4, 1)), W=np.ones((3, 2)), b=np.ones((1, 2))
    )
    with pytest.raises(
        ValueError, match=r"matmul: expected A \(m, k\) and B \(k, n\), got \(1, 4\) and \(3, 2\)"
    ):
        g.forward()


def test_expression_graph_variable_refuses_text():
    with pytest.raises(TypeError, match="x: expected a number or a numeric array, got str 'two'"):
        expression_graph.ExpressionGraph().variable("x", "two")


def test_expression_graph_refuses_a_name_that_is_not_an_identifier():
    with pytest.raises(
        ValueError, match="name: expected a Python identifier such as 'u1', got '2x'"
    ):
        expression_graph.ExpressionGraph().variable("2x", 1.0)


def test_expression_graph_set_value_refuses_an_operation_node():
    g = expression_graph.graph_square_log()
    with pytest.raises(
        ValueError, match="name: expected a variable, got 'y', which is an square node"
    ):
        g.set_value("y", 1.0)


def test_expression_graph_backward_refuses_a_wrong_upstream_shape():
    g = expression_graph.graph_xy_product()
    g.forward()
    with pytest.raises(
        ValueError, match=r"grad_output: expected shape \(\) \(the output's\), got \(2,\)"
    ):
        g.backward(np.ones(2))


def test_autograd_graph_refuses_names_that_are_not_tensors():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="names"):
        autograd_graph.recorded_graph((x * 2).sum(), {"x": [1.0, 2.0]})


# ------------------------------------------------------------------------------ dynamics


def test_euler_refuses_a_step_that_would_run_for_minutes():
    with pytest.raises(
        ValueError,
        match=r"dt: expected a step giving at most max_steps = 1,000,000 steps, got 1e-09, which gives 10,000,000,000 steps",
    ):
        dynamics.euler(dynamics.decay_rhs(1.0), 1.0, 0.0, 10.0, 1e-9)


def test_euler_runs_a_long_integration_when_asked_to():
    ts, states = dynamics.euler(dynamics.decay_rhs(1.0), 1.0, 0.0, 1.0, 1e-3, max_steps=1000)
    assert len(ts) == 1001
    with pytest.raises(ValueError, match="max_steps = 999"):
        dynamics.euler(dynamics.decay_rhs(1.0), 1.0, 0.0, 1.0, 1e-3, max_steps=999)


def test_rk4_refuses_a_step_that_would_run_for_minutes():
    with pytest.raises(ValueError, match=r"dt: expected a step giving at most max_steps"):
        dynamics.rk4(dynamics.decay_rhs(1.0), 1.0, 0.0, 1.0, 1e-8)


def test_unfold_refuses_a_step_count_over_the_cap():
    with pytest.raises(
        ValueError, match="steps: expected at most max_steps = 1,000,000 steps, got 100,000,000"
    ):
        dynamics.unfold(lambda s: s, 0.0, 10**8)


def test_euler_refuses_a_time_that_is_not_a_number():
    with pytest.raises(TypeError, match="t1: expected a real number, got str '10'"):
        dynamics.euler(dynamics.decay_rhs(1.0), 1.0, 0.0, "10", 0.1)


def test_euler_refuses_an_infinite_end_time():
    with pytest.raises(ValueError, match="t1: expected a finite number, got inf"):
        dynamics.euler(dynamics.decay_rhs(1.0), 1.0, 0.0, float("inf"), 0.1)


def test_euler_refuses_a_right_hand_side_that_is_not_a_function():
    with pytest.raises(TypeError, match="g: expected a function, got float 1.0"):
        dynamics.euler(1.0, 1.0, 0.0, 1.0, 0.1)


def test_drive_refuses_an_initial_state_that_is_text():
    with pytest.raises(TypeError, match="s0: expected a number or a numeric array, got str 'zero'"):
        dynamics.drive(lambda s, x: s + x, "zero", [1.0, 2.0])


def test_lyapunov_max_refuses_a_burn_in_as_long_as_the_run():
    with pytest.raises(ValueError, match="burn_in: expected fewer steps than steps = 10, got 10"):
        dynamics.lyapunov_max(np.eye(2), np.ones(2), steps=10, burn_in=10)


# ------------------------------------------------------------------------------ long-lag tasks


def test_adding_problem_refuses_an_integer_dtype(rng):
    with pytest.raises(TypeError, match="dtype: expected a floating dtype .*truncate.*got int64"):
        long_lag_tasks.adding_problem(4, 10, rng, dtype=np.int64)


def test_adding_problem_refuses_a_batch_of_gigabytes(rng):
    with pytest.raises(
        ValueError,
        match=r"batch: expected at most MAX_ELEMENTS = 100,000,000 entries in x, got 200,000,000",
    ):
        long_lag_tasks.adding_problem(100_000, 1000, rng)


def test_copy_task_refuses_a_dtype_that_is_not_numeric(rng):
    with pytest.raises(
        TypeError, match=r"dtype: expected a numeric dtype \(float or integer\), got <U0"
    ):
        long_lag_tasks.copy_task(4, 3, rng, dtype=np.str_)


def test_copy_task_refuses_a_legacy_random_state():
    with pytest.raises(TypeError, match="rng: expected a numpy Generator, got RandomState"):
        long_lag_tasks.copy_task(4, 3, np.random.RandomState(0))


# ------------------------------------------------------------------------------ E/I network


def test_choose_refuses_the_last_zero_steps():
    o = torch.randn(10, 4, 2)
    with pytest.raises(ValueError, match="n_last: expected a finite number > 0, got 0"):
        ei_network.choose(o, n_last=0)


def test_choose_refuses_more_steps_than_the_trial_has():
    with pytest.raises(
        ValueError, match=r"n_last: expected at most T = 10 steps \(the trial's length\), got 11"
    ):
        ei_network.choose(torch.randn(10, 4, 2), n_last=11)


def test_choose_refuses_outputs_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"o: expected shape \(T, B, 2\), got \(10, 4, 3\)"):
        ei_network.choose(torch.randn(10, 4, 3))


def test_accuracy_by_strength_refuses_choices_coded_0_1():
    coherence = np.array([0.1, -0.1, 0.4, -0.4])
    correct_as_0_1 = np.array([1, 0, 1, 0])  # every choice right, but coded 1/0
    with pytest.raises(
        ValueError, match=r"choice: expected choices coded \+1 / -1 .*got values \[0, 1\]"
    ):
        ei_network.accuracy_by_strength(correct_as_0_1, coherence)
    levels, accuracy = ei_network.accuracy_by_strength(2 * correct_as_0_1 - 1, coherence)
    np.testing.assert_array_equal(accuracy, [1.0, 1.0])


def test_eirnn_runs_on_float64_input_and_refuses_integer_input():
    torch.manual_seed(0)
    model = ei_network.EIRNN(2, 10, 2, noise_std=0.0)
    x = torch.rand(5, 3, 2)
    o32, _ = model(x)
    o64, _ = model(x.double())
    assert o64.dtype == torch.float32 and torch.allclose(o32, o64)
    with pytest.raises(TypeError, match="x: expected a floating tensor, got dtype torch.int64"):
        model(torch.ones(5, 3, 2, dtype=torch.long))
    with pytest.raises(TypeError, match="x: expected a torch.Tensor"):
        model(np.ones((5, 3, 2)))


def test_decision_batch_refuses_a_coherence_above_one():
    with pytest.raises(
        ValueError,
        match=r"coherences: expected a non-empty sequence of strengths in \(0, 1\], got \(0.5, 1.5\)",
    ):
        ei_network.decision_batch(4, coherences=(0.5, 1.5))


def test_decision_batch_refuses_negative_noise():
    with pytest.raises(ValueError, match="input_noise: expected a finite number >= 0, got -1.0"):
        ei_network.decision_batch(4, input_noise=-1.0)


def test_dale_weights_refuses_signs_that_are_not_plus_or_minus_one():
    with pytest.raises(
        ValueError, match=r"signs: expected entries \+1 or -1, got values \[0.0, 1.0\]"
    ):
        ei_network.dale_weights(torch.ones(2, 2), torch.tensor([1.0, 0.0]))


def test_train_decision_refuses_a_model_with_the_wrong_sizes():
    model = ei_network.EIRNN(3, 10, 2)
    with pytest.raises(
        ValueError,
        match="model: expected an EIRNN with n_x = 2 and n_y = 2, got an EIRNN with n_x = 3",
    ):
        ei_network.train_decision(model, n_steps=1)


def test_train_decision_refuses_n_last_longer_than_the_trial():
    with pytest.raises(ValueError, match="n_last: expected at most T = 5 steps"):
        ei_network.train_decision(ei_network.EIRNN(2, 10, 2), n_steps=1, T=5, n_last=6)


# ------------------------------------------------------------------------------ Hopfield


def test_hopfield_recall_refuses_a_missing_generator():
    W = hopfield.hebbian_weights(np.ones((4, 1)))
    with pytest.raises(TypeError, match="rng: expected a numpy Generator .*got NoneType"):
        hopfield.recall(W, np.ones(4), None)


def test_hopfield_random_patterns_refuses_a_seed_for_a_generator():
    with pytest.raises(TypeError, match="rng: expected a numpy Generator .*got int"):
        hopfield.random_patterns(10, 2, 0)


def test_hopfield_capacity_curve_names_flip_fraction():
    with pytest.raises(ValueError, match=r"flip_fraction: expected a number in \[0, 1\], got 2.0"):
        hopfield.capacity_curve(10, [0.1], np.random.default_rng(0), flip_fraction=2.0)


def test_hopfield_async_sweep_refuses_an_order_that_is_not_a_permutation(rng):
    W = hopfield.hebbian_weights(hopfield.random_patterns(4, 1, rng))
    with pytest.raises(ValueError, match=r"order: expected a permutation of range\(4\)"):
        hopfield.async_sweep(W, np.ones(4), order=[0.0, 1.0, 2.0, 3.0])


def test_hopfield_states_must_be_plus_or_minus_one():
    with pytest.raises(ValueError, match=r"patterns: expected entries in \{-1, \+1\}"):
        hopfield.hebbian_weights(np.array([[0.0, 1.0], [1.0, 1.0]]))


# ------------------------------------------------------------------------------ n-grams, information


@pytest.fixture
def char_bigram():
    return ngram.NGramLM(n=2).fit(list("the cat sat on the mat"))


def test_ngram_reads_a_str_context_by_its_kind(char_bigram):
    assert char_bigram.kind == "char"
    assert char_bigram.prob("h", "at t") == char_bigram.prob("h", ["t"])
    words = ngram.NGramLM(n=2).fit("the cat sat on the mat".split())
    assert words.kind == "word"
    assert words.perplexity("the cat") == words.perplexity(["the", "cat"])


def test_ngram_prob_refuses_a_token_that_is_not_a_str(char_bigram):
    with pytest.raises(TypeError, match="token: expected a str, got int 1"):
        char_bigram.prob(1)


def test_ngram_fit_refuses_tokens_that_are_not_str():
    with pytest.raises(TypeError, match="tokens: expected str tokens, got int 3 at position 1"):
        ngram.NGramLM(n=2).fit(["a", 3])


def test_ngram_refuses_a_bool_order():
    with pytest.raises(TypeError, match="n: expected the integer 1, 2 or 3, got bool True"):
        ngram.NGramLM(n=True)


def test_ngram_refuses_a_discount_above_one():
    with pytest.raises(ValueError, match=r"discount: expected a number in \(0, 1\], got 1.5"):
        ngram.NGramLM(n=2, smoothing="kneser_ney", discount=1.5)


def test_entropy_refuses_probabilities_that_do_not_sum_to_one():
    with pytest.raises(
        ValueError, match="p: expected non-negative probabilities that sum to 1, got sum 0.9"
    ):
        information.entropy([0.5, 0.4])


def test_entropy_refuses_negative_probabilities():
    with pytest.raises(ValueError, match="p: expected non-negative probabilities .*minimum -0.5"):
        information.entropy([1.5, -0.5])


def test_kl_divergence_refuses_text():
    with pytest.raises(TypeError, match="q: expected a 1-D array of probabilities, got str"):
        information.kl_divergence([0.5, 0.5], "uniform")


def test_nats_to_bits_refuses_text():
    with pytest.raises(TypeError, match="nats: expected a finite real number, got str '1.0'"):
        information.nats_to_bits("1.0")


# ------------------------------------------------------------------------------ tagging


def test_token_accuracy_refuses_all_padding():
    tags = torch.full((2, 3), tagging.PAD_TAG)
    with pytest.raises(
        ValueError, match="tags: expected at least one real .*got only PAD_TAG = -100"
    ):
        tagging.token_accuracy(torch.zeros(2, 3, dtype=torch.long), tags)


def test_token_accuracy_refuses_tags_that_are_not_0_1_or_padding():
    with pytest.raises(ValueError, match="tags: expected tags 0, 1 or PAD_TAG = -100 .*got 2"):
        tagging.token_accuracy(torch.zeros(1, 2, dtype=torch.long), torch.tensor([[0, 2]]))


def test_tagger_refuses_ids_outside_its_vocabulary():
    model = tagging.Tagger(5)
    with pytest.raises(
        ValueError, match=r"ids: expected token indices in \[0, 4\] \(n_vocab = 5\), got \[0, 7\]"
    ):
        model(torch.tensor([[0, 7]]))


def test_word_baseline_refuses_a_tag_of_minus_one():
    data = tagging.TaggingData([["jon", "ran"]], [[1, -1]])
    with pytest.raises(ValueError, match="data: expected tags 0 .* or 1 .*got -1 in sentence 0"):
        tagging.word_baseline(data)


def test_train_tagger_refuses_numpy_ids():
    with pytest.raises(TypeError, match="ids: expected a torch.Tensor, got ndarray"):
        tagging.train_tagger(tagging.Tagger(5), np.zeros((2, 3)), torch.zeros(2, 3), steps=1)


def test_encode_refuses_a_list_for_a_vocabulary():
    data = tagging.make_dataset(2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="vocab: expected an rnnbook.text.Vocab, got list"):
        tagging.encode(data, ["jon"])


# ------------------------------------------------------------------------------ gradient cliff


def test_cliff_surface_refuses_a_zero_steepness():
    with pytest.raises(ValueError, match="steepness: expected a finite number > 0, got 0.0"):
        gradient_cliff.CliffSurface(steepness=0.0)


def test_cliff_surface_refuses_a_height_that_is_text():
    with pytest.raises(TypeError, match="height: expected a real number, got str '4'"):
        gradient_cliff.CliffSurface(height="4")


def test_descend_refuses_a_surface_without_a_gradient():
    with pytest.raises(TypeError, match="surface: expected an object with a grad"):
        gradient_cliff.descend(lambda t: t, [0.0, 0.0], 0.1, 5)


def test_descend_refuses_a_negative_clip():
    with pytest.raises(ValueError, match="clip: expected a finite number > 0, got -1.0"):
        gradient_cliff.descend(gradient_cliff.CliffSurface(), [0.0, 0.0], 0.1, 5, clip=-1.0)


def test_one_unit_rnn_loss_refuses_grids_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"b: expected the shape of w \(3,\) .*got \(2,\)"):
        gradient_cliff.one_unit_rnn_loss(np.ones(3), np.ones(2))


# ------------------------------------------------------------------------------ unit inspection


def test_record_hidden_refuses_ids_outside_the_vocabulary():
    model = RNNLM(5, 8)
    with pytest.raises(ValueError, match=r"ids: expected token indices in \[0, 4\] .*got \[0, 9\]"):
        unit_inspection.record_hidden(model, np.array([0, 9]))


def test_record_hidden_refuses_a_model_that_is_not_a_language_model():
    with pytest.raises(TypeError, match="model: expected an rnnbook.lm.RNNLM"):
        unit_inspection.record_hidden(torch.nn.Linear(2, 2), np.array([0, 1]))


def test_colour_text_html_refuses_a_negative_vmax():
    with pytest.raises(ValueError, match="vmax: expected a finite number > 0, got -1.0"):
        unit_inspection.colour_text_html("ab", [0.1, 0.2], vmax=-1.0)


def test_correlations_refuse_a_feature_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"feature: expected shape \(T,\) = \(4,\), got \(3,\)"):
        unit_inspection.correlations(np.ones((4, 2)), np.ones(3))


# ------------------------------------------------------------------------------ throughput


def test_time_call_refuses_a_device_that_does_not_exist():
    with pytest.raises(ValueError, match="device: expected a device such as 'cpu'"):
        throughput.time_call(lambda: None, device="gpu")


def test_time_call_refuses_something_that_is_not_callable():
    with pytest.raises(TypeError, match="fn: expected a function of no arguments, got int"):
        throughput.time_call(3)


def test_steady_tokens_per_s_refuses_times_that_go_backwards():
    with pytest.raises(ValueError, match="wall_time: expected finite, increasing times"):
        throughput.steady_tokens_per_s([1.0, 2.0, 1.5], 100)


def test_rnn_tokens_per_s_refuses_the_wrong_input_size():
    with pytest.raises(ValueError, match="n_x: expected rnn.input_size = 4, got 3"):
        throughput.rnn_tokens_per_s(torch.nn.RNN(4, 8), 2, 3, 3)


def test_lm_tokens_per_s_refuses_a_model_without_a_vocabulary():
    with pytest.raises(
        TypeError, match="model: expected a language model with an integer vocab_size"
    ):
        throughput.lm_tokens_per_s(torch.nn.Linear(2, 2), 2, 3)


# ------------------------------------------------------------------------------ plotting


def test_plot_series_refuses_curves_of_the_wrong_length():
    with pytest.raises(
        ValueError,
        match=r"series\['euler'\]: expected 3 values \(one per entry of ts\), got shape \(2,\)",
    ):
        plotting.plot_series([0, 1, 2], {"euler": [1.0, 0.5]})


def test_plot_loglog_error_refuses_zero_errors():
    with pytest.raises(ValueError, match=r"errors\['Euler'\]: expected positive errors"):
        plotting.plot_loglog_error([0.1, 0.2], {"Euler": [0.0, 0.1]})


def test_oscillator_widget_refuses_a_step_not_on_its_slider():
    pytest.importorskip("ipywidgets")
    with pytest.raises(ValueError, match=r"dt: expected one of the slider's steps .*got 0.03"):
        plotting.oscillator_widget(dt=0.03)


# ------------------------------------------------------------------------------ every other entry point

_rng = np.random.default_rng(0)
_long = torch.long

BAD_INPUTS = {
    # text
    "d2l_preprocess bytes": (
        lambda: text.d2l_preprocess(b"abc"),
        TypeError,
        "text: expected a str, got bytes",
    ),
    "tokenize kind": (
        lambda: text.tokenize("abc", "byte"),
        ValueError,
        r"kind: expected one of \['char', 'word'\], got 'byte'",
    ),
    "tokenize list": (lambda: text.tokenize(["a"]), TypeError, "text: expected a str, got list"),
    "next_token_pairs int": (
        lambda: text.next_token_pairs(5),
        TypeError,
        "tokens: expected a sequence of tokens, got int",
    ),
    "SequentialBatches float ids": (
        lambda: text.SequentialBatches(np.arange(10.0), 2, 2),
        ValueError,
        "ids: expected a 1-D sequence of token indices, got shape .* and dtype float64",
    ),
    "SequentialBatches too short": (
        lambda: text.SequentialBatches(np.arange(10), 2, 8),
        ValueError,
        "ids: expected more than batch_size \\* num_steps \\+ offset = 16 tokens, got 10",
    ),
    "SequentialBatches negative id": (
        lambda: text.SequentialBatches(np.array([0, 1, -1, 2, 3, 4, 5]), 2, 2),
        ValueError,
        "ids: expected token indices >= 0, got -1 at position 2",
    ),
    "WindowBatches negative id": (
        lambda: text.WindowBatches(-np.ones((4, 3), int), np.zeros((4, 3), int), 2),
        ValueError,
        "X: expected token indices >= 0, got -1",
    ),
    "RandomBatches zero batch": (
        lambda: text.RandomBatches(np.arange(10), 0, 2),
        ValueError,
        "batch_size: expected a finite number > 0, got 0",
    ),
    "timemachine_d2l text int": (
        lambda: text.timemachine_d2l(text=5),
        TypeError,
        "text: expected a str, got int",
    ),
    "timemachine_d2l text too short": (
        lambda: text.timemachine_d2l(num_train=100, num_val=10, text="abc def"),
        ValueError,
        "text: expected more than num_steps = 32 characters after preprocessing, got 7",
    ),
    "WindowBatches shapes": (
        lambda: text.WindowBatches(np.zeros((4, 3), int), np.zeros((4, 2), int), 2),
        ValueError,
        r"X, Y: expected two arrays of the same shape \(N, T\), got \(4, 3\) and \(4, 2\)",
    ),
    # graph
    "add_edge unknown": (
        lambda: graph.Graph().add_edge("a", "b"),
        ValueError,
        "source: expected the id of a node in the graph, got 'a'",
    ),
    "nodes_of_kind": (
        lambda: graph.unrolled_graph().nodes_of_kind("neuron"),
        ValueError,
        "kind: expected one of .*got 'neuron'",
    ),
    # dynamics
    "iterate negative steps": (
        lambda: dynamics.iterate(lambda h: h, np.ones(2), -1),
        ValueError,
        "steps: expected a finite number >= 0, got -1",
    ),
    "euler_step zero dt": (
        lambda: dynamics.euler_step(dynamics.decay_rhs(), 1.0, 0.0, 0.0),
        ValueError,
        "dt: expected a finite number > 0, got 0.0",
    ),
    "decay_rhs negative": (
        lambda: dynamics.decay_rhs(-1.0),
        ValueError,
        "lam: expected a finite number > 0, got -1.0",
    ),
    "euler_stability_limit zero": (
        lambda: dynamics.euler_stability_limit(0),
        ValueError,
        "lam: expected a finite number > 0, got 0",
    ),
    "oscillator_rhs zero mass": (
        lambda: dynamics.oscillator_rhs(k=1, m=0),
        ValueError,
        "m: expected a finite number > 0, got 0",
    ),
    "oscillator_rhs nan amplitude": (
        lambda: dynamics.oscillator_rhs(A=float("nan")),
        ValueError,
        "A: expected a finite number, got nan",
    ),
    "oscillator_exact negative k": (
        lambda: dynamics.oscillator_exact(1.0, k=-1),
        ValueError,
        "k: expected a finite number > 0, got -1",
    ),
    "convergence_order one point": (
        lambda: dynamics.convergence_order([0.1], [0.1]),
        ValueError,
        r"errors: expected as many values as dts \(1, at least 2\), got 1",
    ),
    "convergence_order zero error": (
        lambda: dynamics.convergence_order([0.1, 0.2], [0.0, 0.1]),
        ValueError,
        "dts, errors: expected positive values",
    ),
    "lyapunov_max h0 shape": (
        lambda: dynamics.lyapunov_max(np.eye(2), np.ones(3), 10),
        ValueError,
        r"h0: expected shape \(n,\) = \(2,\), got \(3,\)",
    ),
    # long-lag tasks
    "copy_baseline_loss negative lag": (
        lambda: long_lag_tasks.copy_baseline_loss(-1),
        ValueError,
        "lag: expected a finite number >= 0, got -1",
    ),
    "adding_problem one step": (
        lambda: long_lag_tasks.adding_problem(2, 1, _rng),
        ValueError,
        "length: expected at least 2 steps",
    ),
    "adding_problem layout": (
        lambda: long_lag_tasks.adding_problem(2, 4, _rng, layout="jax"),
        ValueError,
        r"layout: expected one of \['numpy', 'torch'\], got 'jax'",
    ),
    # E/I network
    "dale_signs all excitatory": (
        lambda: ei_network.dale_signs(10, 1.0),
        ValueError,
        r"frac_exc: expected a fraction in \(0, 1\), got 1.0",
    ),
    "dale_signs empty population": (
        lambda: ei_network.dale_signs(2, 0.9),
        ValueError,
        "n_h: expected enough units for both populations, got 2 units, .* 2 excitatory and 0",
    ),
    "EIRNN zero alpha": (
        lambda: ei_network.EIRNN(2, 10, 2, alpha=0),
        ValueError,
        "alpha: expected a finite number > 0, got 0",
    ),
    "EIRNN input size": (
        lambda: ei_network.EIRNN(2, 10, 2)(torch.zeros(5, 3, 4)),
        ValueError,
        r"x: expected shape \(T, B, n_x\) = \(\?, \?, 2\), got \(5, 3, 4\)",
    ),
    "accuracy_by_strength zero coherence": (
        lambda: ei_network.accuracy_by_strength(np.array([1, -1]), np.array([0.0, 0.1])),
        ValueError,
        "coherence: expected non-zero values",
    ),
    "accuracy_by_strength lengths": (
        lambda: ei_network.accuracy_by_strength(np.array([1, -1]), np.array([0.1])),
        ValueError,
        r"coherence: expected shape \(2,\), got \(1,\)",
    ),
    # Hopfield
    "energy non-square W": (
        lambda: hopfield.energy(np.ones((3, 2)), np.ones(3)),
        ValueError,
        r"W: expected a square array of shape \(N, N\), got \(3, 2\)",
    ),
    "energy state size": (
        lambda: hopfield.energy(np.zeros((3, 3)), np.ones(4)),
        ValueError,
        r"s: expected 3 neurons \(rows\) to match W, got shape \(4,\)",
    ),
    "update_neuron index": (
        lambda: hopfield.update_neuron(np.zeros((3, 3)), np.ones(3), 3),
        ValueError,
        r"i: expected a neuron index in \[0, 3\), got 3",
    ),
    "sync_step 3-D states": (
        lambda: hopfield.sync_step(np.zeros((3, 3)), np.ones((3, 2, 1))),
        ValueError,
        r"s: expected shape \(N,\) or \(N, B\), got \(3, 2, 1\)",
    ),
    "corrupt fraction": (
        lambda: hopfield.corrupt(np.ones(4), 1.5, _rng),
        ValueError,
        r"fraction: expected a number in \[0, 1\], got 1.5",
    ),
    "overlap sizes": (
        lambda: hopfield.overlap(np.ones(4), np.ones((3, 2))),
        ValueError,
        r"patterns: expected 4 neurons \(rows\) to match s, got shape \(3, 2\)",
    ),
    "recall mode": (
        lambda: hopfield.recall(np.zeros((3, 3)), np.ones(3), _rng, mode="fast"),
        ValueError,
        r"mode: expected one of \['async', 'sync'\], got 'fast'",
    ),
    # n-grams, information
    "ngram probs before fit": (
        lambda: ngram.NGramLM().probs(),
        RuntimeError,
        r"NGramLM: call fit\(tokens\) before asking for probabilities",
    ),
    "ngram perplexity of nothing": (
        lambda: ngram.NGramLM().fit(list("ab")).perplexity([]),
        ValueError,
        "tokens: expected a non-empty sequence of tokens, got none",
    ),
    "ngram fit with <s>": (
        lambda: ngram.NGramLM().fit(["<s>", "a"]),
        ValueError,
        "tokens: '<s>' is reserved for the start padding",
    ),
    "ngram smoothing": (
        lambda: ngram.NGramLM(smoothing="laplace"),
        ValueError,
        "smoothing: expected one of .*got 'laplace'",
    ),
    "cross_entropy shapes": (
        lambda: information.cross_entropy([0.5, 0.5], [0.2, 0.3, 0.5]),
        ValueError,
        r"q: expected shape \(2,\) \(the shape of p\), got \(3,\)",
    ),
    "entropy base": (
        lambda: information.entropy([1.0], base="dits"),
        ValueError,
        r"base: expected one of \['bits', 'nats'\], got 'dits'",
    ),
    # tagging
    "make_sentence seed": (
        lambda: tagging.make_sentence(0),
        TypeError,
        "rng: expected a numpy Generator, got int",
    ),
    "make_dataset zero": (
        lambda: tagging.make_dataset(0, _rng),
        ValueError,
        "n: expected a finite number > 0, got 0",
    ),
    "Tagger mode": (
        lambda: tagging.Tagger(5, cell="transformer"),
        ValueError,
        "cell: expected one of .*got 'transformer'",
    ),
    "Tagger float ids": (
        lambda: tagging.Tagger(5)(torch.zeros(2, 3)),
        ValueError,
        r"ids: expected a \(B, T\) tensor of token indices \(long\), got shape \(2, 3\) "
        "and dtype torch.float32",
    ),
    "predict with a Linear": (
        lambda: tagging.predict(torch.nn.Linear(2, 2), torch.zeros(1, 2, dtype=_long)),
        TypeError,
        "model: expected a Tagger, got Linear",
    ),
    "token_accuracy shapes": (
        lambda: tagging.token_accuracy(
            torch.zeros(2, 3, dtype=_long), torch.zeros(3, 2, dtype=_long)
        ),
        ValueError,
        r"predicted: expected the shape of tags \(3, 2\), got \(2, 3\)",
    ),
    "encode one tag short": (
        lambda: tagging.encode(tagging.TaggingData([["jon", "ran"]], [[1]]), tagging.make_vocab()),
        ValueError,
        "data: expected one tag per word, got 2 words and 1 tags in sentence 0",
    ),
    "train_tagger zero lr": (
        lambda: tagging.train_tagger(
            tagging.Tagger(5), torch.zeros(2, 3, dtype=_long), torch.zeros(2, 3, dtype=_long), lr=0
        ),
        ValueError,
        "lr: expected a finite number > 0, got 0",
    ),
    # gradient cliff
    "CliffSurface.grad shape": (
        lambda: gradient_cliff.CliffSurface().grad(np.ones(3)),
        ValueError,
        r"theta: expected shape \(2,\) = \(2,\), got \(3,\)",
    ),
    "descend clip_mode": (
        lambda: gradient_cliff.descend(
            gradient_cliff.CliffSurface(), [0.0, 0.0], 0.1, 5, clip=1.0, clip_mode="l1"
        ),
        ValueError,
        r"clip_mode: expected one of \['norm', 'value'\], got 'l1'",
    ),
    "descend theta0 text": (
        lambda: gradient_cliff.descend(gradient_cliff.CliffSurface(), "00", 0.1, 5),
        TypeError,
        "theta0: expected two numbers .*got '00'",
    ),
    "descend too many steps": (
        lambda: gradient_cliff.descend(gradient_cliff.CliffSurface(), [0.0, 0.0], 0.1, 10**7),
        ValueError,
        "steps: expected at most MAX_STEPS = 1,000,000, got 10,000,000",
    ),
    "one_unit_rnn_loss nan h0": (
        lambda: gradient_cliff.one_unit_rnn_loss(1.0, 0.0, h0=float("nan")),
        ValueError,
        "h0: expected a finite number, got nan",
    ),
    # unit inspection
    "position_in_word list": (
        lambda: unit_inspection.position_in_word(["a"]),
        TypeError,
        "text: expected a str, got list",
    ),
    "best_unit 1-D acts": (
        lambda: unit_inspection.best_unit(np.ones(4), np.ones(4)),
        ValueError,
        r"acts: expected a 2-D array of shape \(T, n_h\)",
    ),
    "colour_text_html width": (
        lambda: unit_inspection.colour_text_html("ab", [0.1, 0.2], width=0),
        ValueError,
        "width: expected a finite number > 0, got 0",
    ),
    "colour_text_html values": (
        lambda: unit_inspection.colour_text_html("ab", [0.1]),
        ValueError,
        r"values: expected shape \(T,\) = \(2,\), got \(1,\)",
    ),
    # throughput
    "synchronize tpu": (
        lambda: throughput.synchronize("tpu"),
        ValueError,
        "device: expected a device such as 'cpu', 'cuda', 'cuda:0' or 'mps', got 'tpu'",
    ),
    "tokens_per_s zero seconds": (
        lambda: throughput.tokens_per_s(100, 0.0),
        ValueError,
        "seconds: expected a finite number > 0, got 0.0",
    ),
    "copy_seconds numpy": (
        lambda: throughput.copy_seconds(np.ones(3), "cpu"),
        TypeError,
        "x: expected a torch.Tensor, got ndarray",
    ),
    "steady_tokens_per_s skip": (
        lambda: throughput.steady_tokens_per_s([1.0, 2.0], 10, skip=2),
        ValueError,
        "wall_time: expected more than skip = 2 steps to time, got 2",
    ),
    # autograd graph
    "recorded_graph numpy": (
        lambda: autograd_graph.recorded_graph(np.ones(2), {"x": torch.ones(1)}),
        TypeError,
        "output: expected a torch.Tensor, got ndarray",
    ),
    "recorded_graph leaf": (
        lambda: autograd_graph.recorded_graph(
            torch.ones(2, requires_grad=True), {"x": torch.ones(1)}
        ),
        ValueError,
        "output: expected a tensor computed from tensors with requires_grad=True",
    ),
    # plotting
    "oscillator_figure zero step": (
        lambda: plotting.oscillator_figure(dt=0.0),
        ValueError,
        "dt: expected a finite number > 0, got 0.0",
    ),
    "plot_series list": (
        lambda: plotting.plot_series([0, 1], [[1, 2]]),
        TypeError,
        "series: expected a non-empty dict of label -> values, got list",
    ),
}


@pytest.mark.parametrize("call, error, words", BAD_INPUTS.values(), ids=list(BAD_INPUTS))
def test_every_entry_point_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
