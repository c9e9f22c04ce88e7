/* recur.Stream: recur_stream_* for Python, made by Net.stream(batch, num_threads=0): step
 * (without the GIL), reset, the state as a property, close() and the context manager. */
#include "pyrecur.h"

typedef struct recur_py_stream {
  PyObject_HEAD
  recur_stream *stream; /* NULL once closed */
  recur_py_net *net;    /* acquired while the stream is open: net.close() waits for it */
  int64_t batch;
  int threads;          /* as asked: 0 is the default */
  int busy;             /* a step runs without the GIL (set and read only under the GIL) */
} recur_py_stream;

/* 1 with RuntimeError if a step runs on another thread: a stream is used by one thread at a
 * time, and recur_stream has no lock, so a second thread is refused rather than racing the
 * step that runs without the GIL. */
static int in_use(const recur_py_stream *self) {
  if (self->busy)
    PyErr_SetString(PyExc_RuntimeError, "the recur.Stream is in use by another thread (a "
                    "stream serves one thread at a time: give each thread its own)");
  return self->busy;
}

/* The stream for one call, or NULL with the call's exception (in use, or closed). */
static recur_stream *usable(recur_py_stream *self) {
  if (in_use(self)) return NULL;
  if (!self->stream) PyErr_SetString(PyExc_ValueError, "the recur.Stream is closed");
  return self->stream;
}

PyObject *recur_py_stream_new(recur_py_net *net, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"batch", "num_threads", NULL};
  PyObject *batch_obj, *threads_obj = NULL;
  int64_t batch;
  int threads;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:stream", keywords, &batch_obj,
                                   &threads_obj) ||
      recur_py_int64(batch_obj, &batch) < 0 || recur_py_threads(threads_obj, &threads) < 0)
    return NULL;
  if (batch < 1) return PyErr_Format(PyExc_ValueError, "batch is %S, expected >= 1", batch_obj);
  const recur_net *cnet = recur_py_net_acquire(net);
  if (!cnet) return NULL;
  recur_stream *stream;
  recur_status status = recur_stream_create(&stream, cnet, batch, threads);
  if (status != RECUR_OK) {
    recur_py_raise(status);
    recur_py_net_release(net);
    return NULL;
  }
  recur_py_stream *self = PyObject_New(recur_py_stream, &recur_py_stream_type);
  if (!self) {
    recur_stream_free(stream);
    recur_py_net_release(net);
    return NULL;
  }
  self->stream = stream;
  self->net = (recur_py_net *)Py_NewRef(net); /* for the net property; acquire holds another */
  self->batch = batch;
  self->threads = threads;
  self->busy = 0;
  return (PyObject *)self;
}

/* Frees the C stream and ends the hold on the net (which frees the C net if it was closed). */
static void free_stream(recur_py_stream *self) {
  recur_stream_free(self->stream);
  self->stream = NULL;
  recur_py_net_release(self->net);
}

static void stream_dealloc(recur_py_stream *self) {
  if (self->stream) free_stream(self);
  Py_DECREF(self->net);
  PyObject_Free(self);
}

PyDoc_STRVAR(close_doc,
"close()\n--\n\n"
"Frees the stream's state and buffers now, and ends its hold on the net. Later calls raise\n"
"ValueError; closing twice is allowed. RuntimeError while a step runs on another thread.");

static PyObject *stream_close(recur_py_stream *self, PyObject *unused) {
  (void)unused;
  if (in_use(self)) return NULL;
  if (self->stream) free_stream(self);
  Py_RETURN_NONE;
}

static PyObject *stream_enter(recur_py_stream *self, PyObject *unused) {
  (void)unused;
  return usable(self) ? Py_NewRef(self) : NULL;
}

static PyObject *stream_exit(recur_py_stream *self, PyObject *const *args, Py_ssize_t n) {
  (void)args, (void)n;
  return stream_close(self, NULL);
}

PyDoc_STRVAR(step_doc,
"step(x, out=None)\n--\n\n"
"Advances every row: x (steps, batch, I), time-first whatever the net's batch_first, gives\n"
"y (steps, batch, H_out); a 2-D x (batch, I) is one step and gives y (batch, H_out). x is\n"
"converted as the net's call converts it (float32 C-contiguous arrays are read in place).\n"
"out: a float32, C-contiguous, writeable numpy.ndarray of y's shape to write y into (it must\n"
"not overlap x). The GIL is released while recur computes. A failed step changes nothing.");

static const char *const step_names[] = {"x", "out", NULL};
static const recur_py_params step_params = {"recur.Stream.step", "x and out", step_names, 2, 0};

static PyObject *stream_step(recur_py_stream *self, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames) {
  PyObject *arg[2];
  if (recur_py_parse_args(&step_params, args, (size_t)nargs, kwnames, arg) < 0) return NULL;
  PyObject *x_obj = arg[0], *out_obj = arg[1];
  const recur_desc *d = &self->net->desc;
  PyArrayObject *x = recur_py_array(x_obj, "x"), *y = NULL;
  recur_stream *stream = x ? usable(self) : NULL; /* after x is made an array: it may run Python */
  if (!stream) {
    Py_XDECREF(x);
    return NULL;
  }
  int ndim = PyArray_NDIM(x), one_step = ndim == 2;
  npy_intp steps = ndim == 3 ? PyArray_DIM(x, 0) : 1;
  npy_intp x_shape[3] = {steps, self->batch, d->input_size};
  npy_intp y_shape[3] = {steps, self->batch, recur_py_h_out(d)};
  /* a batch_first net's user may pass (batch, steps, I): say why that shape is wrong */
  const char *x_name = ndim == 3 && self->net->batch_first
                           ? "x (time-first: steps, batch, I, whatever the net's batch_first)"
                           : "x";
  if (ndim != 2 && ndim != 3) {
    PyErr_Format(PyExc_ValueError, "x has %d dimensions, expected 3 (steps, batch, I) or 2 "
                 "(batch, I)", ndim);
  } else if (steps < 1) {
    PyErr_SetString(PyExc_ValueError, "x has 0 steps, expected at least 1");
  } else if (recur_py_check_shape(x, x_name, ndim, x_shape + one_step) == 0 &&
             recur_py_output(out_obj, "out y", ndim, y_shape + one_step, &y) == 0 &&
             recur_py_float32(&x) == 0 && recur_py_allocate(&y, ndim, y_shape + one_step) == 0) {
    recur_status status;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    status = recur_stream_step(stream, PyArray_DATA(x), steps, PyArray_DATA(y));
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (status != RECUR_OK) {
      recur_py_raise(status);
      Py_CLEAR(y);
    }
  } else {
    Py_CLEAR(y);
  }
  Py_XDECREF(x);
  return (PyObject *)y;
}

PyDoc_STRVAR(reset_doc,
"reset(row=-1)\n--\n\n"
"Zeroes one row's state in every layer (h, and c for an LSTM), so that a new sequence starts\n"
"there while the other rows go on; row -1 (the default) zeroes every row. row is 0..batch-1\n"
"or -1: other negative numbers are not Python-style indices but a ValueError, so that -1\n"
"means one thing only.");

static PyObject *stream_reset(recur_py_stream *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"row", NULL};
  PyObject *row_obj = NULL;
  int64_t row = -1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:reset", keywords, &row_obj) ||
      (row_obj && recur_py_int64(row_obj, &row) < 0))
    return NULL;
  recur_stream *stream = usable(self);
  if (!stream) return NULL;
  if (row < -1 || row >= self->batch)
    return PyErr_Format(PyExc_ValueError, "row %S is outside 0..%lld (or -1: every row)", row_obj,
                        (long long)self->batch - 1);
  recur_status status = recur_stream_reset(stream, row);
  if (status != RECUR_OK) return recur_py_raise(status);
  Py_RETURN_NONE;
}

/* h (L, batch, H_out) and c (L, batch, H). */
static void state_shapes(const recur_py_stream *self, npy_intp h[3], npy_intp c[3]) {
  const recur_desc *d = &self->net->desc;
  h[0] = c[0] = d->num_layers;
  h[1] = c[1] = self->batch;
  h[2] = recur_py_h_out(d);
  c[2] = d->hidden_size;
}

static PyObject *get_state(recur_py_stream *self, void *unused) {
  (void)unused;
  recur_stream *stream = usable(self);
  if (!stream) return NULL;
  int lstm = self->net->desc.cell == RECUR_CELL_LSTM;
  npy_intp hs[3], cs[3];
  state_shapes(self, hs, cs);
  PyObject *h = PyArray_SimpleNew(3, hs, NPY_FLOAT32);
  PyObject *c = lstm && h ? PyArray_SimpleNew(3, cs, NPY_FLOAT32) : NULL;
  if (!h || (lstm && !c)) {
    Py_XDECREF(h);
    return NULL;
  }
  recur_status status = recur_stream_get_state(
      stream, PyArray_DATA((PyArrayObject *)h), c ? PyArray_DATA((PyArrayObject *)c) : NULL);
  if (status != RECUR_OK) {
    Py_DECREF(h);
    Py_XDECREF(c);
    return recur_py_raise(status);
  }
  return c ? Py_BuildValue("(NN)", h, c) : h;
}

static int set_state(recur_py_stream *self, PyObject *value, void *unused) {
  (void)unused;
  if (!value || value == Py_None) {
    PyErr_SetString(PyExc_TypeError, "the state cannot be deleted or set to None (reset() "
                    "zeroes it)");
    return -1;
  }
  const recur_desc *d = &self->net->desc;
  npy_intp hs[3], cs[3];
  state_shapes(self, hs, cs);
  PyObject *h_obj, *c_obj;
  if (recur_py_split_state(value, d->cell == RECUR_CELL_LSTM, recur_cell_name(d->cell),
                           "state", &h_obj, &c_obj) < 0)
    return -1;
  PyArrayObject *h = NULL, *c = NULL;
  recur_stream *stream;
  int rc = -1;
  if (recur_py_state_array(h_obj, "h", 3, hs, &h) == 0 &&
      recur_py_state_array(c_obj, "c", 3, cs, &c) == 0 && recur_py_float32(&h) == 0 &&
      recur_py_float32(&c) == 0 &&
      (stream = usable(self))) { /* after making arrays of h and c: it may run Python */
    recur_status status = recur_stream_set_state(stream, h ? PyArray_DATA(h) : NULL,
                                                 c ? PyArray_DATA(c) : NULL);
    rc = status == RECUR_OK ? 0 : (recur_py_raise(status), -1);
  }
  Py_XDECREF(h);
  Py_XDECREF(c);
  Py_XDECREF(h_obj);
  Py_XDECREF(c_obj);
  return rc;
}

static PyObject *stream_reduce(recur_py_stream *self, PyObject *unused) {
  (void)self, (void)unused;
  return PyErr_Format(PyExc_TypeError, "a recur.Stream cannot be pickled (it holds live "
                      "state): pickle its net and its state, then make a new stream with "
                      "net.stream(batch) and set its state");
}

static PyMethodDef stream_methods[] = {
  {"step", (PyCFunction)(void (*)(void))stream_step, METH_FASTCALL | METH_KEYWORDS, step_doc},
  {"reset", (PyCFunction)(void (*)(void))stream_reset, METH_VARARGS | METH_KEYWORDS, reset_doc},
  {"close", (PyCFunction)stream_close, METH_NOARGS, close_doc},
  {"__enter__", (PyCFunction)stream_enter, METH_NOARGS, "Returns the stream itself."},
  {"__exit__", (PyCFunction)(void (*)(void))stream_exit, METH_FASTCALL, "Closes the stream."},
  {"__reduce__", (PyCFunction)stream_reduce, METH_NOARGS,
   "Refused (TypeError): pickle the net and the state instead."},
  {NULL, NULL, 0, NULL},
};

#define GETTER(name, value) \
  static PyObject *get_##name(recur_py_stream *s, void *unused) { (void)unused; return value; }
GETTER(batch, PyLong_FromLongLong(s->batch))
GETTER(num_threads, PyLong_FromLong(s->threads))
GETTER(net, Py_NewRef(s->net))
GETTER(closed, PyBool_FromLong(!s->stream))

#define PROPERTY(name, doc) {#name, (getter)get_##name, NULL, doc, NULL}
static PyGetSetDef stream_getset[] = {
  PROPERTY(batch, "the number of rows (independent sequences)"),
  PROPERTY(num_threads, "the thread count asked for at creation (0: the default)"),
  PROPERTY(net, "the recur.Net the stream runs"),
  PROPERTY(closed, "True once close() was called"),
  {"state", (getter)get_state, (setter)set_state,
   "The state, as new arrays: h (L, batch, H_out) for an RNN or GRU, the tuple (h, c) with\n"
   "c (L, batch, H) for an LSTM (L = num_layers), as the net's h_n and c_n. Set it with the\n"
   "same structure (converted as inputs are; an LSTM's h or c may be None: that part is\n"
   "kept); a wrong shape is ValueError, a wrong structure or dtype TypeError.", NULL},
  {NULL, NULL, NULL, NULL, NULL},
};

static PyObject *stream_repr(recur_py_stream *s) {
  return PyUnicode_FromFormat("<recur.Stream %s batch=%lld num_threads=%d%s>",
                              recur_cell_name(s->net->desc.cell), (long long)s->batch,
                              s->threads, s->stream ? "" : " closed");
}

PyDoc_STRVAR(stream_doc,
"The state of `batch` independent sequences of a unidirectional net, advanced a few steps per\n"
"call (audio frames, a simulation's time steps): made by net.stream(batch, num_threads=0).\n"
"\n"
"    s = net.stream(4)\n"
"    s.state = (h0, c0)     # optional: the state starts at zero\n"
"    y = s.step(x)          # x (steps, 4, I) -> y (steps, 4, H_out); x (4, I) -> y (4, H_out)\n"
"    s.reset(2)             # row 2's sequence ended: a new one starts there\n"
"    h, c = s.state         # as net(x)'s h_n, c_n\n"
"\n"
"Any split of a sequence into step calls gives the same bits as one net(x, hx) call over the\n"
"whole sequence from the same state. Steps are time-first, whatever the net's batch_first.\n"
"The GIL is released while a step computes; a stream serves one thread at a time: a call\n"
"from another thread while a step runs raises RuntimeError (give each thread its stream;\n"
"streams may share a net). The stream holds its net: net.close() while streams are open\n"
"frees the network when the last of them closes, they go on working, and net.stream()\n"
"then raises ValueError. close() (or a with block) frees the stream; later calls raise\n"
"ValueError. Streams do not pickle (TypeError): pickle the net and the state.");

PyTypeObject recur_py_stream_type = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = "recur.Stream",
  .tp_basicsize = sizeof(recur_py_stream),
  .tp_dealloc = (destructor)stream_dealloc,
  .tp_repr = (reprfunc)stream_repr,
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_doc = stream_doc,
  .tp_methods = stream_methods,
  .tp_getset = stream_getset,
};
