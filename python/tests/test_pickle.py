"""A net pickles as its model's bytes (with prefix, batch_first and precision) and unpickles
into a net that computes the same bits."""
import copy
import pickle

import numpy as np
import pytest
import torch

import recur
from support import assert_same_bits, flat_outputs, golden_file

torch.set_num_threads(1)


def same_net(a, b):
    assert a == b and hash(a) == hash(b) and not a != b
    for name in ("cell", "input_size", "hidden_size", "num_layers", "bidirectional",
                 "proj_size", "bias", "batch_first", "precision", "isa", "prefix",
                 "model_bytes"):
        assert getattr(a, name) == getattr(b, name), name


@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
@pytest.mark.parametrize("module", [
    torch.nn.RNN(3, 5, nonlinearity="relu", bidirectional=True),
    torch.nn.LSTM(4, 6, num_layers=2, proj_size=3, batch_first=True),
    torch.nn.GRU(2, 7, num_layers=3, bias=False),
], ids=["rnn_relu", "lstm_proj_bf", "gru_l3"])
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_round_trip_gives_the_same_bits(module, precision, protocol):
    net = recur.from_torch(module, precision=precision)
    back = pickle.loads(pickle.dumps(net, protocol=protocol))
    same_net(net, back)
    x = np.random.default_rng(protocol).standard_normal((5, 3, module.input_size), np.float32)
    for a, b in zip(flat_outputs(net(x)), flat_outputs(back(x))):
        assert_same_bits(a, b)


def test_bf16_survives_and_differs_from_fp32():
    module = torch.nn.LSTM(8, 16)
    x = np.random.default_rng(0).standard_normal((4, 2, 8), np.float32)
    bf16 = pickle.loads(pickle.dumps(recur.from_torch(module, precision="bf16")))
    assert bf16.precision == "bf16"
    assert not np.array_equal(bf16(x)[0], recur.from_torch(module)(x)[0])


def test_prefix_and_batch_first_survive():
    net = recur.load(golden_file({"name": "prefix_lstm_bi_l2"}, ".safetensors"),
                     prefix="encoder.rnn", batch_first=True)
    back = pickle.loads(pickle.dumps(net))
    same_net(net, back)
    assert back.prefix == "encoder.rnn" and back.batch_first


def test_copy_and_deepcopy_make_equal_nets():
    net = recur.from_torch(torch.nn.GRU(3, 4))
    for other in (copy.copy(net), copy.deepcopy(net)):
        assert other is not net
        same_net(net, other)


def test_a_closed_net_does_not_pickle():
    net = recur.from_torch(torch.nn.GRU(3, 4))
    net.close()
    with pytest.raises(ValueError, match="closed"):
        pickle.dumps(net)


def test_equality():
    module = torch.nn.GRU(3, 4)
    net = recur.from_torch(module)
    assert net == recur.load_bytes(net.model_bytes)
    assert len({net, pickle.loads(pickle.dumps(net))}) == 1
    assert net != recur.load_bytes(net.model_bytes, batch_first=True)
    assert net != recur.load_bytes(net.model_bytes, precision="bf16")
    assert net != recur.from_torch(torch.nn.GRU(3, 4)) and net != "net"
    other = recur.load_bytes(net.model_bytes)
    other.close()
    assert other != net and other == other and hash(other) == hash(other)
