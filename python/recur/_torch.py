"""recur.from_torch's reading of a PyTorch module, imported only when from_torch is called.

The module is duck-typed (mode, input_size, hidden_size, num_layers, bidirectional,
proj_size, bias, batch_first, dropout, training, state_dict()), so torch itself is not
imported here: a torch module comes with torch already loaded.
"""
import sys

import numpy as np

from . import _safetensors

CELLS = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "LSTM": "lstm", "GRU": "gru"}
ATTRIBUTES = ("mode", "input_size", "hidden_size", "num_layers", "bidirectional", "proj_size",
              "bias", "batch_first", "state_dict")


def module_safetensors(module):
    """The safetensors bytes of an nn.RNN / nn.LSTM / nn.GRU's state_dict as float32, with
    the metadata tools/export_torch.py writes for it (so the bytes are the same)."""
    cell = _cell(module)
    if getattr(module, "training", False) and getattr(module, "dropout", 0) and \
            module.num_layers > 1:
        raise ValueError(f"from_torch: the {type(module).__name__} is in training mode with "
                         f"dropout={module.dropout}, which recur does not compute; call "
                         ".eval() first")
    tensors = {}
    for name, tensor in module.state_dict().items():
        array = np.ascontiguousarray(_float32(tensor), dtype="<f4")
        tensors[name] = ("F32", array.shape, array.tobytes())
    metadata = {"cell": cell, "format": _safetensors.FORMAT, "dtype": "F32"}
    torch = sys.modules.get("torch")
    if torch is not None:
        metadata["torch"] = torch.__version__
    metadata.update({"batch_first": int(module.batch_first), "input_size": module.input_size,
                     "hidden_size": module.hidden_size, "num_layers": module.num_layers,
                     "bidirectional": int(module.bidirectional),
                     "proj_size": module.proj_size, "bias": int(module.bias)})
    return _safetensors.encode(tensors, metadata)


def _cell(module):
    name = type(module).__name__
    missing = [a for a in ATTRIBUTES if not hasattr(module, a)]
    if missing:
        raise TypeError(f"from_torch: expected an nn.RNN, nn.LSTM or nn.GRU, got {name} "
                        f"(it has no {', '.join(missing)})")
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(module, torch.nn.RNNBase) and \
            not isinstance(module, (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU)):
        raise TypeError(f"from_torch: {name} is an nn.RNNBase but not an nn.RNN, nn.LSTM "
                        "or nn.GRU, which are what recur computes")
    if module.mode not in CELLS:
        raise TypeError(f"from_torch: {name}.mode is {module.mode!r}, expected one of "
                        f"{', '.join(CELLS)}")
    if module.proj_size and module.mode != "LSTM":
        raise ValueError(f"from_torch: proj_size={module.proj_size} on a {module.mode}")
    return CELLS[module.mode]


def _float32(tensor):
    """A tensor's values as float32, copied to the CPU if it lives elsewhere."""
    if hasattr(tensor, "detach"):  # a torch.Tensor (bfloat16 has no NumPy dtype: convert first)
        tensor = tensor.detach().to("cpu").float().numpy()
    return np.asarray(tensor, dtype=np.float32)
