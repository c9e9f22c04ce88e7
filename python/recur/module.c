/* recur._recur: the module, and its functions over recur's process-wide settings. */
#include <string.h>

#define RECUR_PY_IMPORT_NUMPY
#include "pyrecur.h"

/* "avx512 avx2 scalar" -> ['avx512', 'avx2', 'scalar'] */
static PyObject *words(const char *text) {
  PyObject *s = PyUnicode_FromString(text);
  if (!s) return NULL;
  PyObject *list = PyUnicode_Split(s, NULL, -1);
  Py_DECREF(s);
  return list;
}

static PyObject *py_isa(PyObject *m, PyObject *unused) {
  (void)m, (void)unused;
  return PyUnicode_FromString(recur_isa_name());
}

static PyObject *py_isa_list(PyObject *m, PyObject *unused) {
  (void)m, (void)unused;
  return words(recur_isa_list());
}

static PyObject *py_cpu_features(PyObject *m, PyObject *unused) {
  (void)m, (void)unused;
  return words(recur_cpu_features());
}

/* Every precision's name, as recur_precision_name gives them (the values run from 0). */
static PyObject *py_precisions(PyObject *m, PyObject *unused) {
  (void)m, (void)unused;
  PyObject *names = PyList_New(0);
  const char *name;
  for (int p = 0; names && (name = recur_precision_name((recur_precision)p)); p++) {
    PyObject *s = PyUnicode_FromString(name);
    if (!s || PyList_Append(names, s) < 0) Py_CLEAR(names);
    Py_XDECREF(s);
  }
  return names;
}

static PyObject *py_set_isa(PyObject *m, PyObject *arg) {
  (void)m;
  Py_ssize_t len;
  const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8AndSize(arg, &len) : NULL;
  if (!name) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "set_isa: expected a str");
    return NULL;
  }
  if (strlen(name) != (size_t)len) /* C would read "scalar\0junk" as "scalar" */
    return PyErr_Format(PyExc_ValueError, "set_isa: the name %R holds a NUL character", arg);
  recur_status status = recur_isa_force(name);
  if (status != RECUR_OK) return recur_py_raise(status);
  Py_RETURN_NONE;
}

static PyObject *py_set_num_threads(PyObject *m, PyObject *arg) {
  (void)m;
  int n;
  if (recur_py_threads(arg, &n) < 0) return NULL;
  recur_set_num_threads(n);
  Py_RETURN_NONE;
}

static PyObject *py_set_memory_limit(PyObject *m, PyObject *arg) {
  (void)m;
  PyObject *index = PyNumber_Index(arg);
  if (!index) return NULL;
  int overflow;
  long long n = PyLong_AsLongLongAndOverflow(index, &overflow); /* for the sign */
  int negative = overflow < 0 || (!overflow && n < 0);
  size_t bytes = negative ? 0 : PyLong_AsSize_t(index);
  Py_DECREF(index);
  if (negative)
    return PyErr_Format(PyExc_ValueError, "set_memory_limit: %S bytes is negative (0: the "
                        "default)", arg);
  if (bytes == (size_t)-1 && PyErr_Occurred()) { /* past SIZE_MAX: it limits nothing more */
    PyErr_Clear();
    bytes = SIZE_MAX;
  }
  recur_set_memory_limit(bytes);
  Py_RETURN_NONE;
}

static PyObject *py_memory_limit(PyObject *m, PyObject *unused) {
  (void)m, (void)unused;
  return PyLong_FromSize_t(recur_memory_limit());
}

static PyMethodDef functions[] = {
  {"load_bytes", (PyCFunction)(void (*)(void))recur_py_load_bytes, METH_VARARGS | METH_KEYWORDS,
   "load_bytes(data, prefix=None, batch_first=None, precision='fp32')\n--\n\n"
   "Loads a network from a safetensors file's bytes (bytes, bytearray, memoryview or any\n"
   "buffer). prefix picks one module of a file holding several ('encoder.rnn'; None: the only\n"
   "one). batch_first says how the net reads x and writes y, as PyTorch's flag; None: as the\n"
   "file records (what the exporter wrote; time-first if nothing). precision: one of\n"
   "precisions(): 'fp32' (the default), 'bf16' (weights and dot-product inputs rounded to bf16)\n"
   "or 'int8' (weights int8 per output row, inputs quantized per batch row each step, exact\n"
   "int32 sums, fp32 gates and states). The bytes are kept (copied unless they are a bytes object) for\n"
   "pickling. Raises RecurError if recur refuses the model."},
  {"read_model", recur_py_read_model, METH_O,
   "read_model(path)\n--\n\n"
   "A model file's bytes, as recur reads a model (recur_model_read): OSError where the system\n"
   "cannot open or read it, RecurError ERR_IO at once for a path that is no regular file (a\n"
   "FIFO, a device), ERR_LIMIT for a file over set_memory_limit(), both before a byte is read."},
  {"isa", py_isa, METH_NOARGS,
   "isa()\n--\n\nThe kernel table new networks are built for (one of isa_list()): RECUR_ISA\n"
   "or set_isa() if given, else the best this CPU runs."},
  {"precisions", py_precisions, METH_NOARGS,
   "precisions()\n--\n\nThe names a network's precision= takes, the default ('fp32') first."},
  {"isa_list", py_isa_list, METH_NOARGS,
   "isa_list()\n--\n\nThe kernel tables this build has that this CPU runs, best first."},
  {"cpu_features", py_cpu_features, METH_NOARGS,
   "cpu_features()\n--\n\nThe CPU features recur detected, e.g. ['avx2', 'fma', 'avx512f']."},
  {"set_isa", py_set_isa, METH_O,
   "set_isa(name)\n--\n\nForces the kernel table for networks created from now on (a name\n"
   "isa_list() gives). RecurError if the name is unknown or this CPU lacks it; its message\n"
   "names the tables recur knows."},
  {"set_num_threads", py_set_num_threads, METH_O,
   "set_num_threads(n)\n--\n\nThe process default of threads per call (0: OpenMP's default,\n"
   "OMP_NUM_THREADS). A call's num_threads overrides it. Never changes results."},
  {"set_memory_limit", py_set_memory_limit, METH_O,
   "set_memory_limit(nbytes)\n--\n\nThe most memory recur allocates for one network, call or\n"
   "file, checked before allocating (RecurError RECUR_ERR_LIMIT above it); 0: the default,\n"
   "16 GiB. A negative nbytes is ValueError; one past the address space, no limit."},
  {"memory_limit", py_memory_limit, METH_NOARGS,
   "memory_limit()\n--\n\nThe memory limit in bytes (set_memory_limit)."},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT, "recur._recur",
  "The C extension under the recur package (use the package: import recur).", -1, functions,
  NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__recur(void) {
  import_array();
  if (PyType_Ready(&recur_py_net_type) < 0 || PyType_Ready(&recur_py_stream_type) < 0)
    return NULL;
  PyObject *m = PyModule_Create(&module_def);
  if (!m) return NULL;
  if (PyModule_AddObjectRef(m, "Net", (PyObject *)&recur_py_net_type) < 0 ||
      PyModule_AddObjectRef(m, "Stream", (PyObject *)&recur_py_stream_type) < 0 ||
      recur_py_error_init(m) < 0 ||
      PyModule_AddStringConstant(m, "__version__", recur_version_string()) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
