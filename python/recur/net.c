/* recur.Net: a network loaded from safetensors bytes, its description as properties, close()
 * and the context manager, and pickling as the model's bytes. */
#include <string.h>

#include "pyrecur.h"

/* close() drops the model's bytes: that is what marks a net closed. */
static int is_closed(const recur_py_net *self) {
  return !self->model;
}

static PyObject *closed_error(void) {
  PyErr_SetString(PyExc_ValueError, "the recur.Net is closed");
  return NULL;
}

/* The net's handle for a call. Calls run without the GIL, so close() cannot free the net
 * under one: it only marks it closed, and whoever ends the last call frees it. `running` is
 * changed only with the GIL held. */
const recur_net *recur_py_net_acquire(recur_py_net *self) {
  if (is_closed(self)) {
    closed_error();
    return NULL;
  }
  self->running++;
  Py_INCREF(self);
  return self->net;
}

static void free_if_done(recur_py_net *self) {
  if (is_closed(self) && self->running == 0 && self->net) {
    recur_net *net = self->net;
    self->net = NULL;
    Py_BEGIN_ALLOW_THREADS
    recur_net_free(net);
    Py_END_ALLOW_THREADS
  }
}

void recur_py_net_release(recur_py_net *self) {
  self->running--;
  free_if_done(self);
  Py_DECREF(self);
}

static PyObject *precision_str(recur_precision p) {
  return PyUnicode_FromString(recur_precision_name(p));
}

/* The precision called name, by the library's lookup: ValueError with its message (which
 * names every precision) if none is. */
static int parse_precision(const char *name, recur_precision *out) {
  if (recur_precision_from_name(name, strlen(name), out) == RECUR_OK) return 0;
  PyErr_Format(PyExc_ValueError, "load_bytes: %s", recur_last_error());
  return -1;
}

PyObject *recur_py_load_bytes(PyObject *module, PyObject *args, PyObject *kwargs) {
  (void)module;
  static char *keywords[] = {"data", "prefix", "batch_first", "precision", NULL};
  PyObject *data, *batch_first = Py_None; /* None: the file's layout */
  const char *prefix = NULL, *precision_name = "fp32";
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|zOs:load_bytes", keywords, &data, &prefix,
                                   &batch_first, &precision_name))
    return NULL;
  int given_layout = batch_first == Py_None ? -1 : PyObject_IsTrue(batch_first);
  if (batch_first != Py_None && given_layout < 0) return NULL;
  recur_net_options options = {0};
  if (parse_precision(precision_name, &options.precision) < 0) return NULL;
  if (PyUnicode_Check(data))
    return PyErr_Format(PyExc_TypeError, "load_bytes: data is a str; pass bytes (or a path "
                        "to recur.load)");
  /* The bytes are kept for pickling, so a mutable buffer is copied. */
  PyObject *model = PyBytes_CheckExact(data) ? Py_NewRef(data) : PyBytes_FromObject(data);
  if (!model) return NULL;
  recur_py_net *self = PyObject_New(recur_py_net, &recur_py_net_type);
  if (!self) {
    Py_DECREF(model);
    return NULL;
  }
  self->vectorcall = recur_py_net_call;
  self->net = NULL;
  self->running = 0;
  self->hash = -1;
  self->model = model;
  self->prefix = prefix ? PyUnicode_FromString(prefix) : Py_NewRef(Py_None);
  if (!self->prefix) {
    Py_DECREF(self);
    return NULL;
  }
  recur_status status;
  recur_net *net = NULL;
  Py_BEGIN_ALLOW_THREADS
  status = recur_net_load_memory_ex(&net, PyBytes_AS_STRING(model),
                                    (size_t)PyBytes_GET_SIZE(model), prefix, &options);
  Py_END_ALLOW_THREADS
  recur_plan plan;
  if (status == RECUR_OK) {
    self->net = net;
    if ((status = recur_net_describe(net, &self->desc)) == RECUR_OK &&
        (status = recur_net_precision(net, &self->precision)) == RECUR_OK &&
        (status = recur_net_plan(net, 1, 1, &plan)) == RECUR_OK)
      self->isa = plan.isa;
  }
  if (status != RECUR_OK) {
    Py_DECREF(self);
    return recur_py_raise(status);
  }
  self->batch_first = given_layout < 0 ? self->desc.batch_first : given_layout;
  return (PyObject *)self;
}

PyObject *recur_py_read_model(PyObject *module, PyObject *arg) {
  (void)module;
  PyObject *path; /* bytes; PyUnicode_FSConverter refuses a NUL inside */
  if (!PyUnicode_FSConverter(arg, &path)) return NULL;
  void *data;
  size_t size;
  recur_status status;
  int err;
  Py_BEGIN_ALLOW_THREADS
  status = recur_model_read(PyBytes_AS_STRING(path), &data, &size);
  err = errno;
  Py_END_ALLOW_THREADS
  Py_DECREF(path);
  /* A system call's failure is Python's OSError (FileNotFoundError, PermissionError, ...), as
   * open() would raise; what recur refuses (no regular file, the memory limit) is RecurError. */
  if (status == RECUR_ERR_IO && err) {
    errno = err;
    return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
  }
  if (status != RECUR_OK) return recur_py_raise(status);
  /* Copied: a bytes object cannot take over recur's block. size fits: it is within the limit,
   * and no file is longer than PY_SSIZE_T_MAX. */
  PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
  if (bytes && size) {
    Py_BEGIN_ALLOW_THREADS
    memcpy(PyBytes_AS_STRING(bytes), data, size);
    Py_END_ALLOW_THREADS
  }
  recur_model_free(data);
  return bytes;
}

static void net_dealloc(recur_py_net *self) {
  recur_net_free(self->net); /* no call is running: each holds a reference */
  Py_XDECREF(self->model);
  Py_XDECREF(self->prefix);
  PyObject_Free(self);
}

PyDoc_STRVAR(close_doc,
"close()\n--\n\n"
"Frees the network now rather than when the last reference goes. Calls already running on\n"
"other threads finish first (the memory is freed when the last one returns); any later call,\n"
"pickling included, raises ValueError. Closing twice is allowed.");

static PyObject *net_close(recur_py_net *self, PyObject *unused) {
  (void)unused;
  Py_CLEAR(self->model);
  free_if_done(self);
  Py_RETURN_NONE;
}

static PyObject *net_enter(recur_py_net *self, PyObject *unused) {
  (void)unused;
  return is_closed(self) ? closed_error() : Py_NewRef(self);
}

static PyObject *net_exit(recur_py_net *self, PyObject *const *args, Py_ssize_t n) {
  (void)args;
  (void)n;
  return net_close(self, NULL);
}

PyDoc_STRVAR(reduce_doc,
"__reduce__()\n--\n\n"
"Pickles the network as its model's safetensors bytes with prefix, batch_first and\n"
"precision: the unpickled network computes the same bits (on the same kernel table).");

static PyObject *net_reduce(recur_py_net *self, PyObject *unused) {
  (void)unused;
  if (is_closed(self)) return PyErr_Format(PyExc_ValueError, "cannot pickle a closed recur.Net");
  PyObject *load = PyObject_GetAttrString(PyImport_AddModule("recur._recur"), "load_bytes");
  if (!load) return NULL;
  return Py_BuildValue("N(OOON)", load, self->model, self->prefix,
                       self->batch_first ? Py_True : Py_False, precision_str(self->precision));
}

PyDoc_STRVAR(plan_doc,
"plan(batch=1, num_threads=0)\n--\n\n"
"How a call with this batch and thread count will run (recur_net_plan): a dict with the\n"
"kernel table ('isa'), threads, thread groups (per group: threads, batch parts, hidden\n"
"parts), tile sizes, and whether a tune file entry gave them (recur.h's recur_plan).\n"
"num_threads 0: the default (recur.set_num_threads, else OpenMP's). The plan never changes\n"
"the results, only the speed.");

static PyObject *net_plan(recur_py_net *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"batch", "num_threads", NULL};
  PyObject *batch_obj = NULL, *threads_obj = NULL;
  int64_t batch = 1;
  int threads;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OO:plan", keywords, &batch_obj,
                                   &threads_obj) ||
      (batch_obj && recur_py_int64(batch_obj, &batch) < 0) ||
      recur_py_threads(threads_obj, &threads) < 0)
    return NULL;
  const recur_net *net = recur_py_net_acquire(self);
  if (!net) return NULL;
  recur_plan p;
  recur_status status = recur_net_plan(net, batch, threads, &p);
  recur_py_net_release(self);
  if (status != RECUR_OK) return recur_py_raise(status);
  return Py_BuildValue(
      "{sssisisLsLsLsLsLsisLsLsisis(ii)sis(ii)s(ii)}", "isa", p.isa, "tuned_tiling",
      p.tuned_tiling, "tuned_call", p.tuned_call, "tuned_batch", (long long)p.tuned_batch,
      "nr", (long long)p.nr, "nr_proj", (long long)p.nr_proj, "kc", (long long)p.kc,
      "kc_input", (long long)p.kc_input, "mr", p.mr, "chunk_rows", (long long)p.chunk_rows,
      "mc", (long long)p.mc, "threads", p.threads, "groups", p.groups, "group_threads",
      p.group_threads[0], p.group_threads[1], "hidden_split", p.hidden_split, "batch_parts",
      p.batch_parts[0], p.batch_parts[1], "hidden_parts", p.hidden_parts[0], p.hidden_parts[1]);
}

PyDoc_STRVAR(stream_doc,
"stream(batch, num_threads=0)\n--\n\n"
"A recur.Stream of `batch` rows (an int >= 1) on num_threads threads (0: the default), every\n"
"state zero: the net's sequences advanced a few steps per call (help(recur.Stream)).\n"
"RecurError (recur.ERR_UNSUPPORTED) for a bidirectional net; ValueError once closed.");

static PyMethodDef net_methods[] = {
  {"close", (PyCFunction)net_close, METH_NOARGS, close_doc},
  {"stream", (PyCFunction)(void (*)(void))recur_py_stream_new, METH_VARARGS | METH_KEYWORDS,
   stream_doc},
  {"plan", (PyCFunction)(void (*)(void))net_plan, METH_VARARGS | METH_KEYWORDS, plan_doc},
  {"__enter__", (PyCFunction)net_enter, METH_NOARGS, "Returns the net itself."},
  {"__exit__", (PyCFunction)(void (*)(void))net_exit, METH_FASTCALL, "Closes the net."},
  {"__reduce__", (PyCFunction)net_reduce, METH_NOARGS, reduce_doc},
  {NULL, NULL, 0, NULL},
};

/* Properties: the description as loaded, and the net's state. */
#define GETTER(name, value) \
  static PyObject *get_##name(recur_py_net *s, void *unused) { (void)unused; return value; }
GETTER(cell, PyUnicode_FromString(recur_cell_name(s->desc.cell)))
GETTER(input_size, PyLong_FromLongLong(s->desc.input_size))
GETTER(hidden_size, PyLong_FromLongLong(s->desc.hidden_size))
GETTER(num_layers, PyLong_FromLongLong(s->desc.num_layers))
GETTER(bidirectional, PyBool_FromLong(s->desc.bidirectional))
GETTER(proj_size, PyLong_FromLongLong(s->desc.proj_size))
GETTER(bias, PyBool_FromLong(s->desc.bias))
GETTER(batch_first, PyBool_FromLong(s->batch_first))
GETTER(precision, precision_str(s->precision))
GETTER(isa, PyUnicode_FromString(s->isa))
GETTER(prefix, Py_NewRef(s->prefix))
GETTER(closed, PyBool_FromLong(is_closed(s)))
GETTER(model_bytes, is_closed(s) ? closed_error() : Py_NewRef(s->model))

#define PROPERTY(name, doc) {#name, (getter)get_##name, NULL, doc, NULL}
static PyGetSetDef net_getset[] = {
  PROPERTY(cell, "'rnn_tanh', 'rnn_relu', 'lstm' or 'gru'"),
  PROPERTY(input_size, "I: features per input step"),
  PROPERTY(hidden_size, "H: hidden units per direction"),
  PROPERTY(num_layers, "L: stacked layers"),
  PROPERTY(bidirectional, "True if each layer runs both directions (D = 2)"),
  PROPERTY(proj_size, "an LSTM's projection size P (0: none); H_out = P or H"),
  PROPERTY(bias, "False if the model has no bias tensors (bias=False)"),
  PROPERTY(batch_first, "True if x and y are (B, T, ...) rather than (T, B, ...): the layout "
           "the file records unless load's batch_first said otherwise"),
  PROPERTY(precision, "what the net computes in: one of recur.precisions(), 'fp32', 'bf16' or "
           "'int8'"),
  PROPERTY(isa, "the kernel table the net runs on ('avx512', 'avx2', 'neon', 'scalar', ...)"),
  PROPERTY(prefix, "the module prefix it was loaded with, or None"),
  PROPERTY(closed, "True once close() was called"),
  PROPERTY(model_bytes, "the safetensors bytes the net was loaded from"),
  {NULL, NULL, NULL, NULL, NULL},
};

/* Nets are equal when they were loaded from the same bytes with the same prefix, batch_first
 * and precision (so a net equals its unpickled copy); a closed net equals only itself. */
static int same_net(recur_py_net *a, recur_py_net *b) {
  if (a == b) return 1;
  if (is_closed(a) || is_closed(b) || a->batch_first != b->batch_first ||
      a->precision != b->precision)
    return 0;
  int same = PyObject_RichCompareBool(a->prefix, b->prefix, Py_EQ);
  return same == 1 ? PyObject_RichCompareBool(a->model, b->model, Py_EQ) : same;
}

static PyObject *net_richcompare(PyObject *a, PyObject *b, int op) {
  if (!PyObject_TypeCheck(b, &recur_py_net_type) || (op != Py_EQ && op != Py_NE))
    Py_RETURN_NOTIMPLEMENTED;
  int same = same_net((recur_py_net *)a, (recur_py_net *)b);
  if (same < 0) return NULL;
  return PyBool_FromLong(op == Py_EQ ? same : !same);
}

static Py_hash_t net_hash(recur_py_net *self) {
  if (self->hash != -1) return self->hash;
  if (is_closed(self)) /* equal only to itself */
    return PyBaseObject_Type.tp_hash((PyObject *)self);
  PyObject *key = Py_BuildValue("(OOii)", self->model, self->prefix, self->batch_first,
                                (int)self->precision);
  if (!key) return -1;
  self->hash = PyObject_Hash(key);
  Py_DECREF(key);
  return self->hash;
}

static PyObject *net_repr(recur_py_net *s) {
  char proj[32] = ""; /* what differs from torch's defaults only */
  if (s->desc.proj_size)
    PyOS_snprintf(proj, sizeof proj, " proj_size=%lld", (long long)s->desc.proj_size);
  return PyUnicode_FromFormat(
      "<recur.Net %s input_size=%lld hidden_size=%lld num_layers=%lld bidirectional=%s%s%s "
      "batch_first=%s precision=%s isa=%s%s>", recur_cell_name(s->desc.cell),
      (long long)s->desc.input_size, (long long)s->desc.hidden_size, (long long)s->desc.num_layers,
      s->desc.bidirectional ? "True" : "False", proj, s->desc.bias ? "" : " bias=False",
      s->batch_first ? "True" : "False",
      recur_precision_name(s->precision), s->isa, is_closed(s) ? " closed" : "");
}

PyDoc_STRVAR(net_doc,
"A recurrent network (nn.RNN, nn.LSTM or nn.GRU) that recur runs: made by recur.load,\n"
"recur.load_bytes or recur.from_torch.\n"
"\n"
"net(x, hx=None, *, lengths=None, num_threads=0, out=None) runs the forward pass as\n"
"PyTorch's module does and returns (y, h_n) for an RNN or GRU, (y, (h_n, c_n)) for an LSTM.\n"
"With D = 2 if bidirectional else 1, L = num_layers, H_out = proj_size or hidden_size:\n"
"\n"
"    x       (T, B, I), or (B, T, I) if net.batch_first, or (T, I) unbatched\n"
"    y       (T, B, D*H_out), (B, T, D*H_out) or (T, D*H_out)\n"
"    h0, h_n (L*D, B, H_out), or (L*D, H_out) unbatched\n"
"    c0, c_n (L*D, B, H), or (L*D, H) unbatched: LSTM only\n"
"\n"
"hx: None (zeros); h0 for an RNN or GRU; the tuple (h0, c0) for an LSTM, where either may be\n"
"    None (zeros).\n"
"lengths: B integers in 1..T (a list, a NumPy or torch integer array): PyTorch's packed-\n"
"    sequence semantics (pack_padded_sequence(enforce_sorted=False), then\n"
"    pad_packed_sequence(total_length=T)): y is zero past each sequence's end, h_n and c_n\n"
"    are the states after each direction's last processed step.\n"
"num_threads: threads for this call (0: recur.set_num_threads's, else OpenMP's default). The\n"
"    results are the same bits for any thread count.\n"
"out: buffers for the results, in the structure of the result: y, or (y, h_n), or\n"
"    (y, (h_n, c_n)); any of them may be None. Each must be a float32, C-contiguous, writeable\n"
"    numpy.ndarray of exactly the result's shape. h_n may be h0 itself and c_n c0 itself\n"
"    (the state is then updated in place); no other output may overlap an input.\n"
"\n"
"Inputs (x, h0, c0) may be NumPy arrays or anything NumPy converts: objects with the buffer\n"
"protocol or __array__ (CPU torch tensors), nested lists. float32 C-contiguous arrays in\n"
"native byte order are read in place; any other real dtype (float64, float16, integers, bool)\n"
"or layout is converted to a float32 copy first. Strings, objects and complex numbers raise\n"
"TypeError; a wrong shape raises ValueError, as do lengths out of range and a closed net.\n"
"Errors of the conversion itself propagate (torch refuses __array__ on a tensor that\n"
"requires grad: pass tensor.detach()).\n"
"Outputs are new float32 arrays unless out= gives them.\n"
"\n"
"The GIL is released while recur computes: several Python threads may run one net at once.\n"
"A net pickles as its model's bytes; close() (or a with block) frees it early. Nets loaded\n"
"from the same bytes with the same prefix, batch_first and precision are equal (a net and\n"
"its unpickled copy); a closed net equals only itself.");

PyTypeObject recur_py_net_type = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = "recur.Net",
  .tp_basicsize = sizeof(recur_py_net),
  .tp_dealloc = (destructor)net_dealloc,
  .tp_vectorcall_offset = offsetof(recur_py_net, vectorcall),
  .tp_call = PyVectorcall_Call,
  .tp_repr = (reprfunc)net_repr,
  .tp_hash = (hashfunc)net_hash,
  .tp_richcompare = net_richcompare,
  .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
  .tp_doc = net_doc,
  .tp_methods = net_methods,
  .tp_getset = net_getset,
};
