/* A call's arrays: inputs made arrays, then, once every shape is checked, converted to what
 * recur reads (float32, C order, native byte order); lengths to int64; the caller's out=
 * buffers checked to be exactly what recur writes; integer arguments. Everything is checked
 * here, so recur never sees a buffer of the wrong size. */
#include <limits.h>

#include "pyrecur.h"

/* "(2, 3, 7)" */
static PyObject *shape_tuple(int ndim, const npy_intp *shape) {
  PyObject *t = PyTuple_New(ndim);
  for (int i = 0; t && i < ndim; i++) {
    PyObject *v = PyLong_FromSsize_t(shape[i]);
    if (!v) {
      Py_CLEAR(t);
      break;
    }
    PyTuple_SET_ITEM(t, i, v);
  }
  return t;
}

int recur_py_check_shape(PyArrayObject *a, const char *name, int ndim, const npy_intp *shape) {
  if (PyArray_NDIM(a) == ndim && PyArray_CompareLists(PyArray_DIMS(a), shape, ndim)) return 0;
  PyObject *got = shape_tuple(PyArray_NDIM(a), PyArray_DIMS(a)), *want = shape_tuple(ndim, shape);
  if (got && want) PyErr_Format(PyExc_ValueError, "%s has shape %R, expected %R", name, got, want);
  Py_XDECREF(got);
  Py_XDECREF(want);
  return -1;
}

/* Real numbers convert to float32; strings, objects, complex numbers, dates do not. */
static int is_real(PyArray_Descr *d) {
  return d->kind == 'f' || d->kind == 'i' || d->kind == 'u' || d->kind == 'b';
}

PyArrayObject *recur_py_array(PyObject *obj, const char *name) {
  PyArrayObject *a = PyArray_Check(obj) ? (PyArrayObject *)Py_NewRef(obj)
                                        : (PyArrayObject *)PyArray_FromAny(obj, NULL, 0, 0, 0, NULL);
  if (a && !is_real(PyArray_DESCR(a))) {
    PyErr_Format(PyExc_TypeError, "%s: dtype %S cannot be converted to float32 (a real "
                 "number type is needed)", name, (PyObject *)PyArray_DESCR(a));
    Py_CLEAR(a);
  }
  return a;
}

int recur_py_float32(PyArrayObject **a) {
  PyArrayObject *src = *a;
  if (!src || (PyArray_TYPE(src) == NPY_FLOAT32 && PyArray_ISCARRAY_RO(src) &&
               PyArray_ISNOTSWAPPED(src)))
    return 0; /* the common case, read in place */
  *a = (PyArrayObject *)PyArray_FromArray(src, PyArray_DescrFromType(NPY_FLOAT32),
                                          NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
  Py_DECREF(src);
  return *a ? 0 : -1;
}

int recur_py_state_array(PyObject *obj, const char *name, int ndim, const npy_intp *shape,
                         PyArrayObject **out) {
  if (!obj || obj == Py_None) return 0;
  if (!(*out = recur_py_array(obj, name))) return -1;
  return recur_py_check_shape(*out, name, ndim, shape);
}

/* Lengths NumPy made an object array of: Python ints past int64's range (or a caller's
 * dtype=object). Each must be an int (TypeError, as for a float dtype), then one past int64 is
 * out of range as any other is (ValueError). */
static int check_int_objects(PyArrayObject *a, npy_intp batch, npy_intp steps) {
  for (npy_intp b = 0; b < batch; b++) {
    PyObject *v = *(PyObject **)PyArray_GETPTR1(a, b);
    if (!PyLong_Check(v) || PyBool_Check(v)) {
      PyErr_Format(PyExc_TypeError, "lengths[%zd] is a %s, expected integers", b,
                   Py_TYPE(v)->tp_name);
      return -1;
    }
  }
  for (npy_intp b = 0; b < batch; b++) {
    PyObject *v = *(PyObject **)PyArray_GETPTR1(a, b);
    int overflow;
    if (PyLong_AsLongLongAndOverflow(v, &overflow) == -1 && PyErr_Occurred()) return -1;
    if (overflow) {
      PyErr_Format(PyExc_ValueError, "lengths[%zd] = %S, outside 1..%zd (T)", b, v, steps);
      return -1;
    }
  }
  return 0;
}

PyArrayObject *recur_py_lengths(PyObject *obj, npy_intp batch, npy_intp steps) {
  PyArrayObject *src = (PyArrayObject *)PyArray_FromAny(obj, NULL, 0, 0, 0, NULL);
  if (!src) return NULL;
  char kind = PyArray_DESCR(src)->kind; /* kept: src is released before the range check */
  if (kind != 'i' && kind != 'u' && kind != 'O') {
    PyErr_Format(PyExc_TypeError, "lengths: dtype %S, expected integers",
                 (PyObject *)PyArray_DESCR(src));
    Py_DECREF(src);
    return NULL;
  }
  if (recur_py_check_shape(src, "lengths", 1, &batch) < 0 ||
      (kind == 'O' && check_int_objects(src, batch, steps) < 0)) {
    Py_DECREF(src);
    return NULL;
  }
  PyArrayObject *a = (PyArrayObject *)PyArray_FromArray(
      src, PyArray_DescrFromType(NPY_INT64), NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
  Py_DECREF(src);
  if (!a) return NULL;
  const int64_t *v = PyArray_DATA(a);
  for (npy_intp b = 0; b < batch; b++) {
    if (v[b] < 1 || v[b] > steps) {
      /* uint64 values past INT64_MAX wrapped to negatives: out of range as well */
      if (kind == 'u' && v[b] < 0)
        PyErr_Format(PyExc_ValueError, "lengths[%zd] is past 2**63, outside 1..%zd", b, steps);
      else
        PyErr_Format(PyExc_ValueError, "lengths[%zd] = %lld, outside 1..%zd (T)", b,
                     (long long)v[b], steps);
      Py_DECREF(a);
      return NULL;
    }
  }
  return a;
}

int recur_py_output(PyObject *obj, const char *name, int ndim, const npy_intp *shape,
                    PyArrayObject **out) {
  *out = NULL;
  if (obj == NULL || obj == Py_None) return 0;
  if (!PyArray_Check(obj)) {
    PyErr_Format(PyExc_TypeError, "%s: expected a numpy.ndarray, got %s", name,
                 Py_TYPE(obj)->tp_name);
    return -1;
  }
  PyArrayObject *a = (PyArrayObject *)obj;
  if (PyArray_TYPE(a) != NPY_FLOAT32 || !PyArray_ISNOTSWAPPED(a)) {
    PyErr_Format(PyExc_TypeError, "%s: dtype %S, expected float32 in native byte order",
                 name, (PyObject *)PyArray_DESCR(a));
    return -1;
  }
  if (!PyArray_ISCARRAY(a)) {
    PyErr_Format(PyExc_ValueError, "%s must be C-contiguous, aligned and writeable", name);
    return -1;
  }
  if (recur_py_check_shape(a, name, ndim, shape) < 0) return -1;
  *out = (PyArrayObject *)Py_NewRef(obj);
  return 0;
}

int recur_py_allocate(PyArrayObject **a, int ndim, const npy_intp *shape) {
  if (!*a) *a = (PyArrayObject *)PyArray_SimpleNew(ndim, (npy_intp *)shape, NPY_FLOAT32);
  return *a ? 0 : -1;
}

int recur_py_int64(PyObject *obj, int64_t *out) {
  PyObject *index = PyNumber_Index(obj);
  if (!index) return -1;
  int overflow;
  long long n = PyLong_AsLongLongAndOverflow(index, &overflow);
  Py_DECREF(index);
  if (n == -1 && PyErr_Occurred()) return -1;
  *out = overflow > 0 ? INT64_MAX : overflow < 0 ? INT64_MIN : n;
  return 0;
}

int recur_py_threads(PyObject *obj, int *threads) {
  *threads = 0;
  int64_t n;
  if (!obj || obj == Py_None) return 0;
  if (recur_py_int64(obj, &n) < 0) return -1;
  if (n < 0) {
    PyErr_SetString(PyExc_ValueError, "num_threads is negative (0: the default)");
    return -1;
  }
  *threads = n > INT_MAX ? INT_MAX : (int)n; /* recur caps it anyway */
  return 0;
}
