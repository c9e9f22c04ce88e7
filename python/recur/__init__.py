"""recur: PyTorch-exact RNN, LSTM and GRU inference on CPUs.

A network computes what PyTorch's nn.RNN, nn.LSTM and nn.GRU compute in their forward pass,
from the same weights, to fp32 rounding (1e-5 + 1e-5*|torch's value|)::

    import recur
    net = recur.load("model.safetensors")          # or recur.from_torch(torch_module)
    y, (h_n, c_n) = net(x)                         # an LSTM; y, h_n = net(x) otherwise
    y, (h_n, c_n) = net(x, (h0, c0), lengths=[5, 3], num_threads=2)

x, h0 and c0 are NumPy arrays (or anything NumPy converts: CPU torch tensors, buffers);
results are new float32 NumPy arrays. help(recur.Net) has the shapes and the conversion
rules. Networks are thread-safe (the GIL is released while recur computes), pickle as their
model's bytes, and free their memory on close().

net.stream(batch) gives a recur.Stream for input that arrives a few steps at a time:
s.step(x) advances its state (help(recur.Stream)).

Errors: TypeError and ValueError for arguments that cannot be right (a dtype that does not
convert, a wrong shape, lengths out of range, a closed net); RecurError for what the library
refuses (a malformed model file, the memory limit), with recur's status code and detail.
"""
import os as _os

from ._recur import (  # noqa: F401
    Net, RecurError, Stream, __version__, cpu_features, isa, isa_list, load_bytes, memory_limit,
    precisions, set_isa, set_memory_limit, set_num_threads)
from ._recur import read_model as _read_model
from ._recur import (  # noqa: F401  (recur.h's statuses: RecurError.status values)
    ERR_BAD_FILE, ERR_BAD_LENGTHS, ERR_INTERNAL, ERR_INVALID_ARGUMENT, ERR_INVALID_SIZE,
    ERR_IO, ERR_ISA_UNAVAILABLE, ERR_LIMIT, ERR_MISSING_TENSOR, ERR_NULL_POINTER,
    ERR_OUT_OF_MEMORY, ERR_SHAPE_MISMATCH, ERR_UNEXPECTED_TENSOR, ERR_UNSUPPORTED)

__all__ = ["Net", "RecurError", "Stream", "__version__", "load", "load_bytes", "from_torch", "isa",
           "isa_list", "precisions", "cpu_features", "set_isa", "set_num_threads",
           "set_memory_limit", "memory_limit"]


def load(path, prefix=None, batch_first=None, precision="fp32"):
    """Loads a network from a safetensors file (a PyTorch state_dict; tools/export_torch.py
    writes one).

    prefix picks one RNN module of a file holding a whole model ("encoder.rnn"; None: the
    only one). batch_first: x and y are (B, T, ...), as PyTorch's flag; None: the layout the
    file records (the exporter writes the module's; time-first if none), net.batch_first says
    which. precision: one of precisions(): "fp32" (the default); "bf16" (weights and
    dot-product inputs rounded to bf16, sums fp32); "int8" (weights int8 with a scale per
    output row, inputs of each product quantized with a scale per batch row each step, exact
    int32 sums; biases, gates, states and outputs fp32).

    The file is read once, as recur reads a model, and its bytes kept, so the net pickles
    without the file. Raises OSError if the system cannot open or read it (FileNotFoundError,
    IsADirectoryError, ...), RecurError if recur refuses it before reading a byte (ERR_IO: not
    a regular file, such as a FIFO or a device; ERR_LIMIT: larger than set_memory_limit()) or
    refuses its contents.
    """
    path = _os.fspath(path)
    data = _read_model(path)
    try:
        return load_bytes(data, prefix, batch_first, precision)
    except RecurError as e:
        e.add_note(f"while loading {path!r}")
        raise


def from_torch(module, precision="fp32"):
    """A network with the weights of a PyTorch nn.RNN, nn.LSTM or nn.GRU (batch_first is
    taken from it).

    The module's state_dict is written as float32 safetensors bytes in memory and loaded, so
    the net equals recur.load of the file tools/export_torch.py writes for it, and pickles.
    Weights on another device are copied to the CPU; float64 or float16 weights are rounded
    to float32 (recur computes in fp32, or in precision, one of precisions()). Dropout is ignored,
    as in eval mode; a module in training mode with dropout > 0 is refused (ValueError), as
    is any module that is not an RNN, LSTM or GRU (TypeError). torch is imported only here.
    """
    from ._torch import module_safetensors
    return load_bytes(module_safetensors(module), None, bool(module.batch_first), precision)
