/* The Python extension recur._recur: what its files share. It sees only the public API
 * (include/recur.h), as any other program using recur would. */
#ifndef RECUR_PYRECUR_H
#define RECUR_PYRECUR_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* NumPy's C API rather than the buffer protocol and a Python layer: a call checks a float32
 * array's dtype and flags in place and makes its results with PyArray_SimpleNew, never calling
 * into Python, which keeps a T=1 step within a microsecond or two of recur_forward from C.
 * One API table for the whole extension; module.c imports it (import_array). */
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL recur_numpy_api
#ifndef RECUR_PY_IMPORT_NUMPY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include <recur.h>

/* errors.c: recur.RecurError, raised with a recur_status and the thread's recur_last_error.
 * init adds it to the module with the statuses as constants (ERR_BAD_FILE, ...). */
extern PyObject *recur_py_error;
int recur_py_error_init(PyObject *module);
PyObject *recur_py_raise(recur_status status);

/* net.c: the recur.Net type. A net holds its model's bytes (for pickling) and counts the
 * forward calls running without the GIL, so that close() never frees it under one. */
typedef struct recur_py_net {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  recur_net *net;      /* NULL once freed */
  Py_ssize_t running;  /* forward calls in flight (changed only under the GIL) */
  recur_desc desc;
  recur_precision precision;
  const char *isa;     /* the kernel table it runs on (a static string of recur's) */
  int batch_first;     /* the layout of its calls: load's batch_first, else the file's */
  PyObject *model;     /* bytes: the safetensors file; NULL once closed (new calls refused) */
  PyObject *prefix;    /* str or None */
  Py_hash_t hash;      /* -1 until first asked for (it reads all of the model's bytes) */
} recur_py_net;

extern PyTypeObject recur_py_net_type;
/* H_out: an LSTM's proj_size if it has one, else hidden_size. */
static inline npy_intp recur_py_h_out(const recur_desc *d) {
  return d->proj_size ? d->proj_size : d->hidden_size;
}
PyObject *recur_py_load_bytes(PyObject *module, PyObject *args, PyObject *kwargs);
/* A model file's bytes, read by recur_model_read (its checks first: a regular file, within the
 * memory limit): what recur.load keeps. */
PyObject *recur_py_read_model(PyObject *module, PyObject *path);
/* The net's C handle for one call, or NULL with ValueError if it is closed; a successful
 * acquire must be paired with recur_py_net_release (both under the GIL). */
const recur_net *recur_py_net_acquire(recur_py_net *self);
void recur_py_net_release(recur_py_net *self);

/* call.c: net(x, hx=None, *, lengths=None, num_threads=0, out=None). */
PyObject *recur_py_net_call(PyObject *self, PyObject *const *args, size_t nargsf,
                            PyObject *kwnames);
/* A callable's parameters for recur_py_parse_args: names[0] is required, the first
 * max_positional may be passed by position, and those from first_keyword on by keyword. */
typedef struct recur_py_params {
  const char *func;         /* the callable in TypeErrors: "recur.Net", "recur.Stream.step" */
  const char *positional;   /* what may be passed by position: "x and hx" */
  const char *const *names; /* NULL-terminated */
  int max_positional, first_keyword;
} recur_py_params;
/* Vectorcall (or METH_FASTCALL | METH_KEYWORDS) arguments into slots[i] (one per name),
 * borrowed, for names[i] (NULL if not given), with no tuple or dict built as PyArg_ParseTupleAndKeywords
 * builds them: a cost on every call. TypeError for a wrong count or an unknown or repeated
 * keyword. */
int recur_py_parse_args(const recur_py_params *p, PyObject *const *args, size_t nargsf,
                        PyObject *kwnames, PyObject **slots);
/* A state argument split as the cell takes it: h for an RNN or GRU, the pair (h, c) for an
 * LSTM (TypeError otherwise, naming `what`); hx NULL or None gives h = c = NULL, and either
 * may be None. New references (the caller releases them): converting h may run Python code
 * (an __array__) that empties a list hx and would free a borrowed c. */
int recur_py_split_state(PyObject *hx, int lstm, const char *cell, const char *what,
                         PyObject **h, PyObject **c);

/* arrays.c: the arguments of a call as arrays recur can read or write. A call first makes its
 * inputs arrays and checks every shape, then converts them: a wrong shape is refused before a
 * copy of a large (broadcast, strided, float64) input is made. Each returns NULL or -1 with
 * TypeError/ValueError naming the argument. */
/* obj as an array of a real dtype, not converted: an ndarray is itself; anything else is made
 * one as NumPy makes it (Python code may run: __array__). A new reference. */
PyArrayObject *recur_py_array(PyObject *obj, const char *name);
/* Replaces *a (a new reference, or NULL: nothing) by what recur reads: itself if it is float32,
 * C-contiguous, aligned and in native byte order, else a float32 copy (no Python code runs). */
int recur_py_float32(PyArrayObject **a);
/* A state array if obj is given (not NULL or None): made an array into *out (which the caller
 * releases, even on -1) and checked to have the state's shape; *out stays NULL otherwise. */
int recur_py_state_array(PyObject *obj, const char *name, int ndim, const npy_intp *shape,
                         PyArrayObject **out);
/* B lengths in 1..T as int64 (a new array): any integer dtype, or Python ints. */
PyArrayObject *recur_py_lengths(PyObject *obj, npy_intp batch, npy_intp steps);
/* The caller's buffer obj ("out y" names it) checked into *out (a new reference), or *out NULL
 * if obj is NULL or None (recur_py_allocate makes it once everything is checked). */
int recur_py_output(PyObject *obj, const char *name, int ndim, const npy_intp *shape,
                    PyArrayObject **out);
/* A new float32 array of the shape into *a, unless it holds one already. */
int recur_py_allocate(PyArrayObject **a, int ndim, const npy_intp *shape);
int recur_py_check_shape(PyArrayObject *a, const char *name, int ndim, const npy_intp *shape);
/* obj (an int, or anything with __index__: TypeError otherwise) as an int64, a value past its
 * range clamped to INT64_MIN or INT64_MAX, so that every range check refuses it with its own
 * message (rather than an OverflowError that names no range). */
int recur_py_int64(PyObject *obj, int64_t *out);
/* A thread count: None or an integer >= 0 (0: the default), capped at INT_MAX; 0 or -1. */
int recur_py_threads(PyObject *obj, int *threads);

/* stream.c: the recur.Stream type, made by Net.stream(batch, num_threads=0). */
extern PyTypeObject recur_py_stream_type;
PyObject *recur_py_stream_new(recur_py_net *net, PyObject *args, PyObject *kwargs);

#endif
