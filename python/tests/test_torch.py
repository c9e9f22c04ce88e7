"""recur.from_torch on fresh PyTorch modules: the same bytes as tools/export_torch.py's file,
the same bits as recur.load of that file, and torch's numbers (1e-5 + 1e-5 |want|), with and
without lengths and initial states; and the modules it refuses."""
import os
import pickle
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch

import recur
from support import assert_close, assert_same_bits, flat_outputs

sys.path.insert(0, os.environ.get("RECUR_TOOLS", os.path.join(os.path.dirname(__file__),
                                                              "..", "..", "tools")))
from export_torch import build_module, export  # noqa: E402

torch.set_num_threads(1)

MODULES = {  # name: build_module's arguments
    "rnn_tanh": ("rnn_tanh", 5, 7),
    "rnn_relu_bi": ("rnn_relu", 4, 6, 1, True),
    "rnn_tanh_l2_bf": ("rnn_tanh", 3, 5, 2, False, 0, True, True),
    "lstm": ("lstm", 5, 8),
    "lstm_bi_l2": ("lstm", 6, 9, 2, True),
    "lstm_proj_bi_l2": ("lstm", 5, 8, 2, True, 3),
    "lstm_l3_bf_nobias": ("lstm", 4, 6, 3, False, 0, False, True),
    "gru": ("gru", 3, 10),
    "gru_bi_l2_bf": ("gru", 3, 10, 2, True, 0, True, True),
    "gru_l2_bi": ("gru", 7, 4, 2, True),
}
T, B = 6, 4
LENGTHS = [3, 6, 1, 5]  # unsorted, 1 and T


def torch_forward(rnn, x, hx, lengths):
    """torch's y, h_n[, c_n] as float32 arrays; lengths through pack_padded_sequence (which
    takes batches only: an unbatched case runs as a batch of one)."""
    if lengths is not None and x.dim() == 2:
        states = hx if isinstance(hx, tuple) else (hx,)
        states = tuple(s.unsqueeze(1) for s in states if s is not None) or None
        hx = states if isinstance(hx, tuple) or states is None else states[0]
        out = torch_forward(rnn, x.unsqueeze(0 if rnn.batch_first else 1), hx, lengths)
        return [out[0].squeeze(0 if rnn.batch_first else 1)] + [s.squeeze(1) for s in out[1:]]
    with torch.no_grad():
        if lengths is None:
            y, state = rnn(x, hx)
        else:
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                x, torch.tensor(lengths), batch_first=rnn.batch_first, enforce_sorted=False)
            y, state = rnn(packed, hx)
            y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, rnn.batch_first, total_length=T)
    return [t.numpy() for t in flat_outputs((y, state))]


def inputs(rnn, unbatched, with_state):
    D = 2 if rnn.bidirectional else 1
    batch = () if unbatched else (B,)
    x = torch.randn(((T,) if unbatched else (B, T) if rnn.batch_first else (T, B))
                    + (rnn.input_size,))
    if not with_state:
        return x, None
    h0 = torch.randn((rnn.num_layers * D,) + batch + (rnn.proj_size or rnn.hidden_size,))
    if isinstance(rnn, torch.nn.LSTM):
        return x, (h0, torch.randn((rnn.num_layers * D,) + batch + (rnn.hidden_size,)))
    return x, h0


@pytest.fixture(scope="module", params=list(MODULES))
def module(request, tmp_path_factory):
    torch.manual_seed(zlib.crc32(request.param.encode()))
    rnn = build_module(*MODULES[request.param])
    path = tmp_path_factory.mktemp("export") / (request.param + ".safetensors")
    export(rnn, str(path))
    return rnn, str(path)


def test_same_bytes_as_the_exporter(module):
    rnn, path = module
    net = recur.from_torch(rnn)
    with open(path, "rb") as f:
        assert net.model_bytes == f.read()
    assert net.batch_first == rnn.batch_first


@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zeros", "hx"])
@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "lengths"])
def test_matches_load_and_torch(module, unbatched, with_state, with_lengths):
    rnn, path = module
    torch.manual_seed(7)
    x, hx = inputs(rnn, unbatched, with_state)
    lengths = None if not with_lengths else [4] if unbatched else LENGTHS
    net = recur.from_torch(rnn)
    loaded = recur.load(path)  # the layout the file records: the module's
    assert loaded.batch_first == rnn.batch_first
    got = flat_outputs(net(x, hx, lengths=lengths))
    for a, b in zip(got, flat_outputs(loaded(x, hx, lengths=lengths))):
        assert_same_bits(a, b, "from_torch vs load")
    for name, a, want in zip(("y", "h_n", "c_n"), got, torch_forward(rnn, x, hx, lengths)):
        assert_close(a, want, name)


def test_load_takes_the_layout_the_file_records(tmp_path):
    """An exported batch_first module's file, loaded with no flag, reads (B, T, I) as torch
    does (it used to take B for T); batch_first=False overrides the file, and pickles so."""
    torch.manual_seed(21)
    rnn = torch.nn.LSTM(40, 128, batch_first=True)
    path = tmp_path / "batch_first.safetensors"
    export(rnn, str(path))
    x = torch.randn(16, 200, 40)
    want = torch_forward(rnn, x, None, None)
    net = recur.load(path)
    assert net.batch_first
    got = flat_outputs(net(x))
    assert got[0].shape == (16, 200, 128)
    for name, a, b in zip(("y", "h_n", "c_n"), got, want):
        assert_close(a, b, name)
    time_first = pickle.loads(pickle.dumps(recur.load(path, batch_first=False)))
    assert not time_first.batch_first
    y, (h, c) = time_first(x.transpose(0, 1))
    assert_close(y, want[0].transpose(1, 0, 2), "y")
    assert_close(h, want[1], "h_n")


def test_cell_and_sizes_from_the_module():
    rnn = torch.nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2, bias=False)
    net = recur.from_torch(rnn)
    assert (net.cell, net.input_size, net.hidden_size, net.num_layers, net.bidirectional,
            net.proj_size, net.bias, net.batch_first) == ("lstm", 3, 8, 2, True, 2, False, False)
    assert recur.from_torch(torch.nn.RNN(2, 3, nonlinearity="relu")).cell == "rnn_relu"


def test_float64_and_bf16_modules_are_rounded_to_float32():
    rnn = torch.nn.GRU(4, 5).double()
    x = torch.randn(3, 2, 4, dtype=torch.float64)
    want = rnn.float()(x.float())[0].detach().numpy()
    assert_close(recur.from_torch(rnn.double())(x)[0], want, "y")
    assert recur.from_torch(torch.nn.LSTM(2, 3).bfloat16()).hidden_size == 3


def test_dropout_in_eval_mode_is_fine_in_training_mode_refused():
    rnn = torch.nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    with pytest.raises(ValueError, match="eval"):
        recur.from_torch(rnn)
    recur.from_torch(rnn.eval())
    recur.from_torch(torch.nn.LSTM(3, 4, num_layers=2))  # training, but no dropout


def test_refuses_what_it_cannot_represent():
    with pytest.raises(TypeError, match="not an nn.RNN"):
        recur.from_torch(torch.nn.RNNBase("LSTM", 3, 4))
    with pytest.raises(TypeError, match="expected an nn.RNN"):
        recur.from_torch(torch.nn.Linear(3, 4))
    with pytest.raises(TypeError):
        recur.from_torch(None)


def test_subclasses_and_duck_typed_modules():
    class MyGRU(torch.nn.GRU):
        pass

    rnn = MyGRU(3, 4, batch_first=True)
    x = torch.randn(2, 5, 3)
    assert_close(recur.from_torch(rnn)(x)[0], rnn(x)[0].detach().numpy(), "y")

    class Duck:  # not a torch module at all: its attributes and state_dict() are enough
        mode, input_size, hidden_size, num_layers, bidirectional = "GRU", 3, 4, 1, False
        proj_size, bias, batch_first = 0, True, True

        def state_dict(self):
            return {k: v.numpy() for k, v in rnn.state_dict().items()}

    assert_same_bits(recur.from_torch(Duck())(x)[0], recur.from_torch(rnn)(x)[0], "y")


def test_torch_is_not_imported_by_import_recur():
    code = "import sys, recur; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_torch_tensors_are_inputs_and_numpy_arrays_come_out():
    rnn = torch.nn.LSTM(3, 4)
    y, (h, c) = recur.from_torch(rnn)(torch.randn(2, 1, 3))
    assert all(type(a) is np.ndarray and a.dtype == np.float32 for a in (y, h, c))
