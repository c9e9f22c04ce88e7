/* The forward call, net(x, hx=None, *, lengths=None, num_threads=0, out=None): arguments
 * parsed by hand from the vectorcall (no tuple or dict is built: a T=1 step must cost little
 * more than recur_forward; Stream.step parses its own the same way), converted and checked
 * (arrays.c), then recur_forward without the GIL. */
#include "pyrecur.h"

/* The parameters, as slots of the argument array recur_py_parse_args fills. */
enum { ARG_X, ARG_HX, ARG_LENGTHS, ARG_NUM_THREADS, ARG_OUT, N_ARGS };
static const char *const call_names[] = {"x", "hx", "lengths", "num_threads", "out", NULL};
static const recur_py_params call_params = {"recur.Net", "x and hx", call_names, 2, 1};

typedef struct call_arrays { /* owned */
  PyArrayObject *x, *h0, *c0, *lengths, *y, *h_n, *c_n;
} call_arrays;

static void clear_arrays(call_arrays *a) {
  Py_XDECREF(a->x);
  Py_XDECREF(a->h0);
  Py_XDECREF(a->c0);
  Py_XDECREF(a->lengths);
  Py_XDECREF(a->y);
  Py_XDECREF(a->h_n);
  Py_XDECREF(a->c_n);
}

static int positional_error(const recur_py_params *p, Py_ssize_t n) {
  PyErr_Format(PyExc_TypeError, "%s takes %s (%zd positional arguments given)", p->func,
               p->positional, n);
  return -1;
}

int recur_py_parse_args(const recur_py_params *p, PyObject *const *args, size_t nargsf,
                        PyObject *kwnames, PyObject **slots) {
  Py_ssize_t n = PyVectorcall_NARGS(nargsf);
  if (n > p->max_positional) return positional_error(p, n);
  for (int i = 0; p->names[i]; i++) slots[i] = i < n ? args[i] : NULL;
  Py_ssize_t nk = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t i = 0; i < nk; i++) {
    PyObject *key = PyTuple_GET_ITEM(kwnames, i);
    int k = p->first_keyword;
    while (p->names[k] && PyUnicode_CompareWithASCIIString(key, p->names[k]) != 0) k++;
    if (!p->names[k]) {
      PyErr_Format(PyExc_TypeError, "%s got an unexpected keyword argument '%U'", p->func, key);
      return -1;
    }
    if (slots[k]) {
      PyErr_Format(PyExc_TypeError, "%s got multiple values for argument '%U'", p->func, key);
      return -1;
    }
    slots[k] = args[n + i];
  }
  return slots[0] ? 0 : positional_error(p, n);
}

static int is_pair(PyObject *o) {
  return (PyTuple_Check(o) || PyList_Check(o)) && PySequence_Fast_GET_SIZE(o) == 2;
}

/* hx: h0 for an RNN or GRU, (h0, c0) for an LSTM; None anywhere means zeros. */
int recur_py_split_state(PyObject *hx, int lstm, const char *cell, const char *what,
                         PyObject **h, PyObject **c) {
  *h = *c = NULL;
  if (!hx || hx == Py_None) return 0;
  if (lstm) {
    if (!is_pair(hx)) {
      PyErr_Format(PyExc_TypeError, "%s: an LSTM takes a tuple (h, c), got %s", what,
                   Py_TYPE(hx)->tp_name);
      return -1;
    }
    *h = Py_NewRef(PySequence_Fast_GET_ITEM(hx, 0));
    *c = Py_NewRef(PySequence_Fast_GET_ITEM(hx, 1));
    return 0;
  }
  if (PyTuple_Check(hx)) {
    PyErr_Format(PyExc_TypeError, "%s: a %s takes one array, not a tuple (only an LSTM "
                 "has (h, c))", what, cell);
    return -1;
  }
  *h = Py_NewRef(hx);
  return 0;
}

/* The sizes of a call, from x's shape. */
typedef struct call_shapes {
  int unbatched, state_ndim;
  npy_intp T, B, y[3], h[3], c[3];
} call_shapes;

static int derive_shapes(const recur_py_net *net, PyArrayObject *x, call_shapes *s) {
  const recur_desc *d = &net->desc;
  int ndim = PyArray_NDIM(x);
  if (ndim != 2 && ndim != 3) {
    PyErr_Format(PyExc_ValueError, "x has %d dimensions, expected 3 (%s) or 2 (unbatched "
                 "(T, I))", ndim, net->batch_first ? "(B, T, I)" : "(T, B, I)");
    return -1;
  }
  const npy_intp *dims = PyArray_DIMS(x);
  s->unbatched = ndim == 2;
  s->T = dims[s->unbatched || !net->batch_first ? 0 : 1];
  s->B = s->unbatched ? 1 : dims[net->batch_first ? 0 : 1];
  if (dims[ndim - 1] != d->input_size) {
    PyErr_Format(PyExc_ValueError, "x has %zd features (its last dimension), the network's "
                 "input_size is %lld", dims[ndim - 1], (long long)d->input_size);
    return -1;
  }
  if (s->T < 1 || s->B < 1) {
    PyErr_Format(PyExc_ValueError, "x has %zd steps and a batch of %zd; each must be at "
                 "least 1", s->T, s->B);
    return -1;
  }
  npy_intp dirs = d->bidirectional ? 2 : 1, hout = recur_py_h_out(d);
  npy_intp ld = d->num_layers * dirs;
  s->state_ndim = s->unbatched ? 2 : 3;
  if (s->unbatched) {
    s->y[0] = s->T, s->y[1] = dirs * hout;
    s->h[0] = ld, s->h[1] = hout;
    s->c[0] = ld, s->c[1] = d->hidden_size;
  } else {
    s->y[0] = net->batch_first ? s->B : s->T, s->y[1] = net->batch_first ? s->T : s->B;
    s->y[2] = dirs * hout;
    s->h[0] = ld, s->h[1] = s->B, s->h[2] = hout;
    s->c[0] = ld, s->c[1] = s->B, s->c[2] = d->hidden_size;
  }
  return 0;
}

/* Checks everything recur_forward will touch, then converts the inputs and makes the outputs:
 * no argument is copied before every shape is known to be right. */
static int prepare(const recur_py_net *net, PyObject *const *o, call_arrays *a,
                   recur_forward_args *fa) {
  int lstm = net->desc.cell == RECUR_CELL_LSTM;
  const char *cell = recur_cell_name(net->desc.cell);
  call_shapes s;
  PyObject *h0, *c0, *y_out = o[ARG_OUT], *states_out = NULL, *h_out, *c_out;
  if (!(a->x = recur_py_array(o[ARG_X], "x")) || derive_shapes(net, a->x, &s) < 0 ||
      recur_py_split_state(o[ARG_HX], lstm, cell, "hx", &h0, &c0) < 0)
    return -1;
  int bad = recur_py_state_array(h0, "h0", s.state_ndim, s.h, &a->h0) < 0 ||
            recur_py_state_array(c0, "c0", s.state_ndim, s.c, &a->c0) < 0;
  Py_XDECREF(h0);
  Py_XDECREF(c0);
  if (bad || (o[ARG_LENGTHS] && o[ARG_LENGTHS] != Py_None &&
              !(a->lengths = recur_py_lengths(o[ARG_LENGTHS], s.B, s.T))) ||
      recur_py_threads(o[ARG_NUM_THREADS], &fa->num_threads) < 0)
    return -1;
  if (o[ARG_OUT] && is_pair(o[ARG_OUT])) { /* (y, h_n) or (y, (h_n, c_n)) */
    y_out = PySequence_Fast_GET_ITEM(o[ARG_OUT], 0);
    states_out = PySequence_Fast_GET_ITEM(o[ARG_OUT], 1);
  }
  /* No Python code runs from here until the outputs are checked and held (inputs are arrays
   * already; outputs are checked, never converted), so y_out and states_out, borrowed from
   * out, stay alive. */
  if (recur_py_split_state(states_out, lstm, cell, "out's states", &h_out, &c_out) < 0)
    return -1;
  bad = recur_py_output(y_out, "out y", s.state_ndim, s.y, &a->y) < 0 ||
        recur_py_output(h_out, "out h_n", s.state_ndim, s.h, &a->h_n) < 0 ||
        (lstm && recur_py_output(c_out, "out c_n", s.state_ndim, s.c, &a->c_n) < 0);
  Py_XDECREF(h_out);
  Py_XDECREF(c_out);
  if (bad || recur_py_float32(&a->x) < 0 || recur_py_float32(&a->h0) < 0 ||
      recur_py_float32(&a->c0) < 0 || recur_py_allocate(&a->y, s.state_ndim, s.y) < 0 ||
      recur_py_allocate(&a->h_n, s.state_ndim, s.h) < 0 ||
      (lstm && recur_py_allocate(&a->c_n, s.state_ndim, s.c) < 0))
    return -1;
  fa->seq_len = s.T;
  fa->batch = s.B;
  fa->input_size = net->desc.input_size;
  fa->batch_first = net->batch_first; /* named either way: the shapes above assumed it */
  fa->time_first = !net->batch_first;
  fa->unbatched = s.unbatched;
  fa->x = PyArray_DATA(a->x);
  fa->lengths = a->lengths ? PyArray_DATA(a->lengths) : NULL;
  fa->h0 = a->h0 ? PyArray_DATA(a->h0) : NULL;
  fa->c0 = a->c0 ? PyArray_DATA(a->c0) : NULL;
  fa->y = PyArray_DATA(a->y);
  fa->h_n = PyArray_DATA(a->h_n);
  fa->c_n = a->c_n ? PyArray_DATA(a->c_n) : NULL;
  return 0;
}

PyObject *recur_py_net_call(PyObject *callable, PyObject *const *args, size_t nargsf,
                            PyObject *kwnames) {
  recur_py_net *self = (recur_py_net *)callable;
  PyObject *o[N_ARGS]; /* borrowed: the caller's arguments, NULL if not given */
  if (recur_py_parse_args(&call_params, args, nargsf, kwnames, o) < 0) return NULL;
  const recur_net *net = recur_py_net_acquire(self);
  if (!net) return NULL;
  call_arrays a = {0};
  recur_forward_args fa = {0};
  PyObject *result = NULL;
  if (prepare(self, o, &a, &fa) == 0) {
    recur_status status;
    Py_BEGIN_ALLOW_THREADS
    status = recur_forward(net, &fa);
    Py_END_ALLOW_THREADS
    if (status != RECUR_OK) {
      recur_py_raise(status);
    } else {
      PyObject *state = a.c_n ? PyTuple_Pack(2, a.h_n, a.c_n) : Py_NewRef(a.h_n);
      result = state ? PyTuple_Pack(2, a.y, state) : NULL;
      Py_XDECREF(state);
    }
  }
  clear_arrays(&a);
  recur_py_net_release(self);
  return result;
}
